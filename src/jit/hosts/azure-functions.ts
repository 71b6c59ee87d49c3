import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { JitConnectionInfo, JitHandler } from '../endpoint.js';
import { errorName, forwardedClient, headerRecord, isTextType, serverErrorBody, trustedHops, type TrustedHop } from './shared.js';

/**
 * Azure Functions, Node.js programming model v4:
 *
 *   app.http('b2c-signin', { methods: ['POST'], authLevel: 'anonymous', route: 'b2c/signin', handler: azureFunctionsJitHandler(b2c) });
 *
 * The v4 HttpRequest is fetch-like (url, method, Headers, arrayBuffer()), so the adapter only copies it into a
 * web Request and the answer into an HttpResponseInit, Set-Cookie values as its `cookies`. The types below are
 * the parts of @azure/functions the adapter uses, written out so that it needs neither that package nor its
 * types. It was tested against requests shaped like the v4 model's, not run in Azure.
 */

/** What the adapter reads of the v4 `HttpRequest`. */
export interface AzureHttpRequestLike {
  readonly url: string;
  readonly method: string;
  readonly headers: { get(name: string): string | null; entries(): Iterable<[string, string]> };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A `Cookie` of the v4 model: the Functions host writes one Set-Cookie header for each. */
export interface AzureCookie {
  name: string;
  value: string;
  domain?: string;
  path?: string;
  expires?: Date;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
  /** Seconds. */
  maxAge?: number;
}

/** An `HttpResponseInit` of the v4 model. */
export interface AzureHttpResponseInit {
  status: number;
  /**
   * One value per name: the v4 library copies headers into a map (one value each), so Set-Cookie is not here but
   * in `cookies`.
   */
  headers: Record<string, string>;
  /** The answer's Set-Cookie values, one per cookie; absent when there are none. */
  cookies?: AzureCookie[];
  /** A string for a JSON or text/* answer (every answer the endpoint makes); bytes for any other content type. */
  body: string | Uint8Array;
}

export interface AzureFunctionsJitOptions {
  /**
   * The client address the handler sees. Default: the last X-Forwarded-For entry, port removed (an entry that is
   * not an IP address gives none, never its text). The worker never sees the TCP peer; Azure's front end adds the
   * address it accepted the connection from as the last entry (often as `ip:port`), and entries before it came
   * with the request, written by anyone. Behind Front Door or Application Gateway the last entry is that proxy:
   * read its own header instead (Front Door: `X-Azure-ClientIP`). Locally (Core Tools) there is no front end, and
   * no entry to trust.
   */
  clientIp?: (request: AzureHttpRequestLike) => string | undefined;
  /** Receives a line (the error's class name only) when a handler rejects. Silent by default. */
  logger?: Logger;
}

/** Azure's front end is the one hop the worker can trust: it wrote the right-most entry. */
const frontEndOnly = trustedHops(1) as TrustedHop;

/**
 * The last X-Forwarded-For entry, port removed, by the rule every adapter follows (hosts/shared.ts): one that is
 * not an IP address gives no address, never its text.
 */
function lastForwardedFor(request: AzureHttpRequestLike): string | undefined {
  return forwardedClient(request.headers.get('x-forwarded-for') ?? undefined, undefined, frontEndOnly);
}

const sameSiteValues: Readonly<Record<string, AzureCookie['sameSite']>> = { strict: 'Strict', lax: 'Lax', none: 'None' };

/**
 * A Set-Cookie value as a v4 `Cookie` (RFC 6265 section 5.2: the pair before the first `;`, then attributes by
 * case-insensitive name), or undefined for one without `name=`, which RFC 6265 says to ignore. The value is
 * percent-decoded when it decodes, because the host percent-encodes it again when it writes the header: a value
 * the handler encoded then arrives as it was, not encoded twice. Attributes the model has no field for
 * (`Partitioned`, `Priority`) are dropped.
 */
function azureCookie(setCookie: string): AzureCookie | undefined {
  const [pair = '', ...attributes] = setCookie.split(';');
  const equals = pair.indexOf('=');
  const name = pair.slice(0, equals).trim();
  if (equals < 0 || name === '') return undefined;
  const raw = pair.slice(equals + 1).trim();
  let value = raw;
  try {
    value = decodeURIComponent(raw);
  } catch {
    // Not percent-encoding after all (a lone %): kept as it is.
  }
  const cookie: AzureCookie = { name, value };
  for (const attribute of attributes) {
    const at = attribute.indexOf('=');
    const key = (at < 0 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
    const text = at < 0 ? '' : attribute.slice(at + 1).trim();
    if (key === 'domain' && text !== '') cookie.domain = text;
    else if (key === 'path' && text !== '') cookie.path = text;
    else if (key === 'secure') cookie.secure = true;
    else if (key === 'httponly') cookie.httpOnly = true;
    else if (key === 'max-age' && /^-?\d+$/u.test(text)) cookie.maxAge = Number(text);
    else if (key === 'expires' && !Number.isNaN(Date.parse(text))) cookie.expires = new Date(text);
    else if (key === 'samesite') {
      const sameSite = sameSiteValues[text.toLowerCase()];
      if (sameSite !== undefined) cookie.sameSite = sameSite;
    }
  }
  return cookie;
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
      const cookies = answer.headers.getSetCookie().flatMap((setCookie) => azureCookie(setCookie) ?? []);
      return { status: answer.status, headers: headerRecord(answer.headers), ...(cookies.length === 0 ? {} : { cookies }), body: answerBody };
    } catch (error) {
      logger.error('jit host: the handler failed', { host: 'azure-functions', error: errorName(error) });
      return { status: 500, headers: { 'content-type': 'application/json' }, body: serverErrorBody };
    }
  };
}
