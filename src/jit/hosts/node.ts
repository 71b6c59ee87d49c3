import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { JitConnectionInfo, JitHandler } from '../endpoint.js';

/**
 * node:http / node:https glue: an IncomingMessage becomes a web Request (the body streamed, never buffered
 * here: the endpoint applies its own size limit), the Response is written back, and what only the socket
 * knows (peer address, client certificate) goes along as JitConnectionInfo. Express and Fastify reuse it.
 */

export interface NodeHostOptions {
  /** Take the client address from the first X-Forwarded-For entry (only behind a proxy you run). */
  trustProxy?: boolean;
}

export function connectionInfo(request: IncomingMessage, options: NodeHostOptions = {}): JitConnectionInfo {
  const info: JitConnectionInfo = {};
  const forwarded = options.trustProxy ? request.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  const address = first !== undefined && first.length > 0 ? first : request.socket.remoteAddress;
  if (address !== undefined) info.remoteAddress = address;
  const socket = request.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate === 'function') {
    const certificate = socket.getPeerCertificate();
    // An empty object means the client sent none.
    if (Object.keys(certificate).length > 0) {
      info.clientCertificate = {
        fingerprint256: certificate.fingerprint256,
        subject: certificate.subject as unknown as Record<string, string | string[]>,
        authorized: socket.authorized === true,
      };
    }
  }
  return info;
}

/**
 * `body`: bytes a framework already read off the stream (a body parser ran), sent instead of the stream. Their
 * length is the new content-length, and the framing and coding headers of the original go, as they describe
 * bytes this Request no longer carries (a parser has already inflated a gzipped body, for one).
 */
export function requestFromNode(request: IncomingMessage, signal?: AbortSignal, body?: Uint8Array): Request {
  const secure = typeof (request.socket as Partial<TLSSocket>).getPeerCertificate === 'function';
  const url = requestUrl(request, secure ? 'https' : 'http');
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (body !== undefined && rebuiltBodyDrops.has(name)) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const method = request.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(url, {
    method,
    headers,
    ...(hasBody ? { body: body ?? (Readable.toWeb(request) as ReadableStream<Uint8Array>), duplex: 'half' } : {}),
    ...(signal ? { signal } : {}),
  });
}

/**
 * The request's URL. Node accepts a Host header no URL can hold (`Host: a b`), and a throw here would escape
 * toNodeListener and end the process; the handlers do not route on host or path, so a stand-in does.
 */
function requestUrl(request: IncomingMessage, scheme: 'http' | 'https'): URL {
  const target = request.url ?? '/';
  for (const base of [`${scheme}://${request.headers.host ?? 'localhost'}`, `${scheme}://localhost`]) {
    if (URL.canParse(target, base)) return new URL(target, base);
  }
  return new URL(`${scheme}://localhost/`);
}

const rebuiltBodyDrops = new Set(['content-length', 'transfer-encoding', 'content-encoding']);

/** Aborted when the client goes away before the answer is written; a finished answer does not abort it. */
export function clientGoneSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

export async function writeNodeResponse(response: Response, target: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  target.writeHead(response.status, { ...headers, 'content-length': String(body.byteLength) });
  target.end(body);
}

/** A `(req, res)` listener for node:http, node:https, or Express and Fastify's raw request. */
export function toNodeListener(handler: JitHandler, options: NodeHostOptions = {}): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    // The client going away aborts the verification; a finished answer does not.
    const controller = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    handler(requestFromNode(request, controller.signal), connectionInfo(request, options))
      .then((answer) => writeNodeResponse(answer, response))
      .catch(() => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end('{"error":"server_error"}');
      });
  };
}
