import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { JitConnectionInfo, JitHandler } from '../endpoint.js';
import { errorName, headerRecord, isTextType, serverErrorBody } from './shared.js';

/**
 * Azure Functions, Node.js programming model v4:
 *
 *   app.http('b2c-signin', { methods: ['POST'], authLevel: 'anonymous', route: 'b2c/signin', handler: azureFunctionsJitHandler(b2c) });
 *
 * The v4 HttpRequest is fetch-like (url, method, Headers, arrayBuffer()), so the adapter only copies it into a
 * web Request and the answer into an HttpResponseInit. The types below are the parts of @azure/functions the
 * adapter uses, written out so that it needs neither that package nor its types. It was tested against
 * requests shaped like the v4 model's, not run in Azure.
 */

/** What the adapter reads of the v4 `HttpRequest`. */
export interface AzureHttpRequestLike {
  readonly url: string;
  readonly method: string;
  readonly headers: { get(name: string): string | null; entries(): Iterable<[string, string]> };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** An `HttpResponseInit` of the v4 model. */
export interface AzureHttpResponseInit {
  status: number;
  headers: Record<string, string>;
  /** A string for a JSON or text/* answer (every answer the endpoint makes); bytes for any other content type. */
  body: string | Uint8Array;
}

export interface AzureFunctionsJitOptions {
  /**
   * The client address the handler sees. Default: the last X-Forwarded-For entry, port removed. The worker
   * never sees the TCP peer; Azure's front end adds the address it accepted the connection from as the last
   * entry (often as `ip:port`), and entries before it came with the request, written by anyone. Behind Front
   * Door or Application Gateway the last entry is that proxy: read its own header instead (Front Door:
   * `X-Azure-ClientIP`). Locally (Core Tools) there is no front end, and no entry to trust.
   */
  clientIp?: (request: AzureHttpRequestLike) => string | undefined;
  /** Receives a line (the error's class name only) when a handler rejects. Silent by default. */
  logger?: Logger;
}

/** `203.0.113.7:51234` -> `203.0.113.7`, `[2001:db8::1]:443` -> `2001:db8::1`; anything else as it is. */
function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/u.exec(address);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const ipv4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/u.exec(address);
  return ipv4?.[1] ?? address;
}

function lastForwardedFor(request: AzureHttpRequestLike): string | undefined {
  const last = request.headers.get('x-forwarded-for')?.split(',').at(-1)?.trim();
  return last === undefined || last === '' ? undefined : withoutPort(last);
}

export function azureFunctionsJitHandler(handler: JitHandler, options: AzureFunctionsJitOptions = {}): (request: AzureHttpRequestLike) => Promise<AzureHttpResponseInit> {
  const logger = options.logger ?? silentLogger;
  return async (request) => {
    try {
      const method = request.method.toUpperCase();
      // The Functions host hands the worker the whole body (unless HTTP streams are on), so reading it costs nothing more.
      const body = method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(await request.arrayBuffer());
      const webRequest = new Request(request.url, { method, headers: new Headers([...request.headers.entries()]), ...(body === undefined ? {} : { body }) });
      const clientIp = options.clientIp ? options.clientIp(request) : lastForwardedFor(request);
      const connection: JitConnectionInfo = clientIp === undefined ? {} : { remoteAddress: clientIp };
      const answer = await handler(webRequest, connection);
      // Text stays a string; any other body goes as bytes, which a string would have mangled.
      const answerBody = isTextType(answer.headers.get('content-type')) ? await answer.text() : new Uint8Array(await answer.arrayBuffer());
      return { status: answer.status, headers: headerRecord(answer.headers), body: answerBody };
    } catch (error) {
      logger.error('jit host: the handler failed', { host: 'azure-functions', error: errorName(error) });
      return { status: 500, headers: { 'content-type': 'application/json' }, body: serverErrorBody };
    }
  };
}
