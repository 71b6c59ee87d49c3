import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { toError } from '../../core/errors.js';
import { answerText, jitCallHandler, type JitAnswer, type JitCall, type JitConnectionInfo, type JitHandler } from '../endpoint.js';
import { forwardedClient, headerRecord, trustedHops, type TrustedHop, type TrustProxy } from './shared.js';

/**
 * node:http / node:https glue. A handler made by `createJitEndpoint` is run through its web-free pipeline: the
 * IncomingMessage's headers and body are read as they are and the answer's text is written to the socket, with
 * no web Request or Response per call (those cost more than a cheap sign-in's own work). Any other JitHandler
 * gets a web Request and its Response is written back. What only the socket knows (peer address, client
 * certificate) goes along as JitConnectionInfo. Express and Fastify reuse it.
 */

export interface NodeHostOptions {
  /** Largest body the host reads before answering 413 itself (default 1 MiB); protocols apply smaller limits. */
  maxBodyBytes?: number;
  /**
   * The proxies you run in front of the server, whose X-Forwarded-For entries are believed (hosts/shared.ts,
   * `forwardedClient`): `true` one proxy (the right-most entry is the client as your proxy saw it), a number that
   * many (the n-th entry from the right), or a list of the proxies' addresses or CIDR ranges (the first entry
   * from the right that is not one of them). Default: none, the socket's address.
   */
  trustProxy?: TrustProxy;
}

/** Each options object's trust rule, made once: connectionInfo runs on every call. */
const trustRules = new WeakMap<NodeHostOptions, TrustedHop | undefined>();

function trustRule(options: NodeHostOptions): TrustedHop | undefined {
  if (options.trustProxy === undefined || options.trustProxy === false) return undefined;
  if (!trustRules.has(options)) trustRules.set(options, trustedHops(options.trustProxy));
  return trustRules.get(options);
}

export function connectionInfo(request: IncomingMessage, options: NodeHostOptions = {}): JitConnectionInfo {
  const info: JitConnectionInfo = {};
  const trusted = trustRule(options);
  const peer = request.socket.remoteAddress;
  const address = trusted === undefined ? peer : forwardedClient(request.headers['x-forwarded-for'], peer, trusted);
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

/**
 * Aborted when the client goes away before the answer is written; a finished answer does not abort it. Made
 * after the client left (a lazily made signal), it is aborted already.
 */
export function clientGoneSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  if (!response.writableFinished && (response.destroyed || (response.socket?.destroyed ?? true))) {
    controller.abort();
    return controller.signal;
  }
  response.on('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

export async function writeNodeResponse(response: Response, target: ServerResponse): Promise<void> {
  writeNodeAnswer(await responseAnswer(response), target);
}

/**
 * Writes an answer to a node:http response: its bytes when it has them, else its text. An answer sent before the
 * request's body has all arrived (a 401 before any of it was read, a 413 for its declared length) closes the
 * connection: kept alive, Node would read and drop the rest of the body, however large, until requestTimeout.
 */
export function writeNodeAnswer(answer: JitAnswer, target: ServerResponse): void {
  const { bytes } = answer;
  const length = bytes === undefined ? Buffer.byteLength(answer.text, 'utf8') : bytes.byteLength;
  const { setCookies } = answer;
  const headers: Record<string, string | string[]> = { ...answer.headers, 'content-length': String(length) };
  // An array writes one Set-Cookie line per cookie.
  if (setCookies !== undefined) headers['set-cookie'] = [...setCookies];
  if (bodyPending(target)) headers['connection'] = 'close';
  target.writeHead(answer.status, headers);
  // Text as a string, not a Buffer: node:http then sends head and body in one write instead of a writev of two.
  if (bytes === undefined) target.end(answer.text, 'utf8');
  else target.end(bytes);
}

/**
 * A web Response as an answer. One made here (`answerResponse`, `jsonResponse`) gives back its text; any other
 * is read as bytes, so a custom handler's body that is not UTF-8 text reaches the client unchanged.
 */
async function responseAnswer(response: Response): Promise<JitAnswer> {
  const headers = headerRecord(response.headers);
  const cookies = response.headers.getSetCookie();
  const setCookies = cookies.length === 0 ? {} : { setCookies: cookies };
  const text = answerText(response);
  if (text !== undefined) return { status: response.status, headers, text, ...setCookies };
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers, text: Buffer.from(bytes).toString('utf8'), bytes, ...setCookies };
}

/** An IncomingMessage's headers as `Headers.get` reads them: any case, repeats joined with `, `. */
function nodeHeaders(request: IncomingMessage): JitCall['headers'] {
  return {
    get(name) {
      const value = request.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/**
 * A node:http request as a JitCall. `body`: bytes already read (by a framework's parser); without them the stream
 * is read on demand, when the pipeline asks (after caller authentication), never past `maxBodyBytes` (the host's
 * cap). The abort signal is made only when something asks for it (most calls never do), aborted at once if the
 * client is already gone. A class, so that getter is the prototype's: a getter written per call would keep every
 * call's objects alive past minor GCs (`withSignalOf` in core/deadline.ts says why).
 */
class NodeCall implements JitCall {
  readonly method: string;
  readonly headers: JitCall['headers'];
  readonly #request: IncomingMessage;
  readonly #response: ServerResponse;
  readonly #body: Uint8Array | undefined;
  readonly #maxBodyBytes: number;
  #signal: AbortSignal | undefined;

  constructor(request: IncomingMessage, response: ServerResponse, body: Uint8Array | undefined, maxBodyBytes = Number.POSITIVE_INFINITY) {
    this.method = request.method ?? 'GET';
    this.headers = nodeHeaders(request);
    this.#request = request;
    this.#response = response;
    this.#body = body;
    this.#maxBodyBytes = maxBodyBytes;
  }

  readBody(limit: number): Promise<Uint8Array | undefined> {
    const body = this.#body;
    if (body === undefined) return readNodeBody(this.#request, Math.min(limit, this.#maxBodyBytes), this.#response);
    return Promise.resolve(body.byteLength > limit ? undefined : body);
  }

  get signal(): AbortSignal {
    this.#signal ??= clientGoneSignal(this.#response);
    return this.#signal;
  }
}

/**
 * Runs a handler for a node:http request: through its web-free pipeline when `createJitEndpoint` made it, else
 * through a web Request. `body` as for `NodeCall`.
 */
export function answerNodeRequest(
  handler: JitHandler,
  request: IncomingMessage,
  response: ServerResponse,
  connection: JitConnectionInfo,
  body?: Uint8Array,
): Promise<JitAnswer> {
  const core = jitCallHandler(handler);
  // The pipeline's own promise, without an async frame around it: this runs on every call.
  if (core !== undefined) return core(new NodeCall(request, response, body), connection);
  try {
    return handler(requestFromNode(request, clientGoneSignal(response), body), connection).then(responseAnswer);
  } catch (error) {
    // A handler that throws instead of rejecting still answers through the host's error path.
    return Promise.reject(toError(error));
  }
}

/**
 * A `(req, res)` listener for node:http, node:https, or Express and Fastify's raw request. A handler made by
 * `createJitEndpoint` reads the body itself, after caller authentication and under its own limit: reading it here
 * first would let anyone without a key hold up to the host's cap of memory per connection. Any other handler gets
 * the body read here, up to the host's cap.
 */
export function toNodeListener(handler: JitHandler, options: NodeHostOptions = {}): (request: IncomingMessage, response: ServerResponse) => void {
  const run = toNodeCallRunner(handler, options);
  return (request, response) => {
    void run(request, response);
  };
}

/**
 * `toNodeListener` with each call's promise, which settles when the call's work is over: its answer written, or
 * dropped when the connection is gone. `startJitServer` counts the calls still running when it stops.
 */
export function toNodeCallRunner(handler: JitHandler, options: NodeHostOptions = {}): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  // A malformed trustProxy is refused here, when the listener is made, not on each call.
  trustRule(options);
  const core = jitCallHandler(handler);
  if (core !== undefined) {
    return (request, response) =>
      core(new NodeCall(request, response, undefined, maxBodyBytes), connectionInfo(request, options)).then(
        (answer) => {
          writeNodeAnswer(answer, response);
        },
        () => {
          writeServerError(response);
        },
      );
  }
  return (request, response) =>
    readNodeBody(request, maxBodyBytes, response)
      .then((body) => {
        if (body === undefined) {
          // Over the host's own cap: answered here, without reading the rest.
          response.writeHead(413, { 'content-type': 'application/json', connection: 'close', 'x-request-id': randomUUID(), 'cache-control': 'no-store' });
          response.end('{"error":"payload_too_large"}');
          return undefined;
        }
        return answerNodeRequest(handler, request, response, connectionInfo(request, options), body).then((answer) => {
          writeNodeAnswer(answer, response);
        });
      })
      .catch(() => {
        writeServerError(response);
      });
}

function writeServerError(response: ServerResponse): void {
  if (!response.headersSent) response.writeHead(500, bodyPending(response) ? { 'content-type': 'application/json', connection: 'close' } : { 'content-type': 'application/json' });
  response.end('{"error":"server_error"}');
}

/**
 * The body of the request this response answers has not all arrived yet. `complete` is set once the request's last
 * byte was parsed, which for a request without a body (a GET, a health probe) is a moment after the listener ran:
 * such a request has nothing pending, and keeps its connection.
 */
export function bodyPending(response: ServerResponse): boolean {
  // `req` is there for every response node:http makes; a response made some other way has nothing to drain.
  const request = response.req as IncomingMessage | undefined;
  if (request === undefined || request.complete) return false;
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The host's cap on a body (the protocols apply their own, smaller, limits after it). */
const defaultMaxBodyBytes = 1024 * 1024;

/**
 * The body as bytes, read with Node's own stream (a web stream per request cost more than the check itself);
 * undefined once it passes `limit`. GET and HEAD have none. A body cut off at the limit is left unread and its
 * connection closes after the answer, so the rest is neither buffered nor waited for. Rejects when the client
 * leaves before the body is complete, also when it left before this was called: the body is read only after
 * the caller check, which may wait (a bearer token's JWKS fetch), and a request destroyed meanwhile fires no
 * event any more, so listening alone would wait forever, and the call would never end.
 */
function readNodeBody(request: IncomingMessage, limit: number, response: ServerResponse): Promise<Uint8Array | undefined> {
  const method = request.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return Promise.resolve(new Uint8Array());
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  if (request.destroyed) return Promise.reject(clientGone());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        request.removeAllListeners('data');
        request.pause();
        if (!response.headersSent) response.setHeader('connection', 'close');
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => {
      resolve(Buffer.concat(chunks, size));
    });
    request.once('error', reject);
    // 'close' comes for every request, after 'end' too: the error (and its stack trace) is made only for a body
    // that never completed, not on every call's hot path. After the early resolve above it rejects nothing.
    request.once('close', () => {
      if (!request.complete) reject(clientGone());
    });
  });
}

function clientGone(): Error {
  return new Error('the client closed the connection before its body was complete');
}
