/**
 * One HTTP exchange with a deadline. The timeout covers the body too (a server that sends headers and then
 * stalls is as stuck as one that never answers), and it is enforced by a race as well as by the abort
 * signal, so an injected fetch that ignores `signal` still cannot hang a sign-in.
 *
 * Redirects are never followed: fetch would send the same body to the Location's host (a create holds the
 * user's password, a token request the client secret) and this library would trust that host's answer. A
 * 3xx comes back as a failure instead, without its body. Bodies are read up to `maxResponseBytes`.
 */

import { readStreamUpTo } from '../core/stream.js';
import { GraphError, type GraphErrorCode } from './errors.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined when empty or not JSON. */
  body: unknown;
  /** A body came that is not JSON (by content-type or syntax): a proxy's or a login page's HTML, say. */
  notJson: boolean;
}

export type HttpFailure =
  | { failure: 'timeout' | 'aborted' | 'network'; cause: unknown }
  /** A 3xx answer, not followed; `status` is undefined when fetch hid it (an opaque redirect) or followed it anyway. */
  | { failure: 'redirect'; status: number | undefined }
  /** The body is longer than maxResponseBytes; the rest was not read. */
  | { failure: 'too-large'; status: number }
  /** A header fetch would refuse (CR, LF, NUL, a character over U+00FF): caught before sending, the value not quoted. */
  | { failure: 'invalid-header'; header: string };

const isFailure = (value: HttpAnswer | HttpFailure): value is HttpFailure => 'failure' in value;
export { isFailure as isHttpFailure };

/**
 * The largest answer body read: far above any Graph answer this client asks for (a $batch of 20 users is a
 * few hundred KB), far below what would strain the process. A longer body is cut off and the call fails.
 */
export const maxResponseBytes = 16 * 1024 * 1024;

const jsonContentType = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/iu;
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/u;

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The header fetch would refuse, checked here because fetch's own TypeError quotes the value (a bearer token)
 * and would travel on as an error's cause. Checked with the platform's Headers, so the rules are fetch's own.
 */
function refusedHeader(headers: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    try {
      new Headers().append(name, value);
    } catch {
      return headerName.test(name) ? name.toLowerCase() : '(a header with an invalid name)';
    }
  }
  return undefined;
}

/** The body as text, or undefined when it is longer than `limit` bytes (the connection is then dropped). */
async function readCapped(response: Response, limit: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > limit) {
    response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  const bytes = await readStreamUpTo(response.body, limit);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}

export async function exchange(fetchFn: FetchLike, request: HttpRequest, timeoutMs: number, signal?: AbortSignal): Promise<HttpAnswer | HttpFailure> {
  const header = refusedHeader(request.headers);
  if (header !== undefined) return { failure: 'invalid-header', header };
  const controller = new AbortController();
  let reason: 'timeout' | 'aborted' | undefined;
  let rejectAbort: ((error: Error) => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    rejectAbort = reject;
  });
  // The race's losing side must not surface as an unhandled rejection.
  aborted.catch(() => undefined);
  const stop = (why: 'timeout' | 'aborted'): void => {
    reason ??= why;
    controller.abort();
    rejectAbort?.(new Error(why));
  };
  const timer = setTimeout(() => {
    stop('timeout');
  }, timeoutMs);
  const onAbort = (): void => {
    stop('aborted');
  };
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const init: RequestInit = { method: request.method, headers: request.headers, signal: controller.signal, redirect: 'manual' };
    if (request.body !== undefined) init.body = request.body;
    const answer = (async (): Promise<HttpAnswer | HttpFailure> => {
      const response = await fetchFn(request.url, init);
      // `opaqueredirect` (status 0) is what a browser-like fetch gives for a manual redirect; `redirected` is an
      // injected fetch that followed one anyway: its answer came from another host and is not trusted either.
      if (response.type === 'opaqueredirect' || response.redirected || (response.status >= 300 && response.status < 400)) {
        response.body?.cancel().catch(() => undefined);
        return { failure: 'redirect', status: response.status >= 300 && response.status < 400 ? response.status : undefined };
      }
      const text = await readCapped(response, maxResponseBytes);
      if (text === undefined) return { failure: 'too-large', status: response.status };
      const body = parseJson(text);
      const notJson = text.trim() !== '' && (body === undefined || !jsonContentType.test(response.headers.get('content-type') ?? ''));
      return { status: response.status, headers: response.headers, body, notJson };
    })();
    answer.catch(() => undefined);
    return await Promise.race([answer, aborted]);
  } catch (error) {
    return { failure: reason ?? 'network', cause: error };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** How a caller's messages name its call, for `unreadableAnswerError`. */
export interface AnswerErrorContext {
  /** The token request's failures are ERR_LEGACY_IDP_GRAPH_AUTH, a Graph call's ERR_LEGACY_IDP_GRAPH_ERROR. */
  code: GraphErrorCode;
  /** The call, as its messages name it: `token request`, `Graph POST /users`. */
  call: string;
  /** Who answered, as its messages name it: `token endpoint`, `Graph POST /users`. */
  answerer: string;
  /** The option that holds the URL, named in the redirect message: `authorityUrl`, `graphUrl`. */
  urlOption: string;
  method: string;
  path: string;
  clientRequestId?: string;
}

/** The answers that came but are not read: a redirect, a body over maxResponseBytes. */
export type UnreadableAnswer = Extract<HttpFailure, { failure: 'redirect' | 'too-large' }>;

export const isUnreadableAnswer = (failure: HttpFailure): failure is UnreadableAnswer => failure.failure === 'redirect' || failure.failure === 'too-large';

/**
 * A redirect or a body over maxResponseBytes as the caller's GraphError. Both are final, never retried: the next
 * answer would be the same. A redirect is not followed (the next host would get the client secret or a user's
 * password), and its Location is not quoted (its query may hold anything).
 */
export function unreadableAnswerError(failure: UnreadableAnswer, context: AnswerErrorContext): GraphError {
  const where = { method: context.method, path: context.path, ...(context.clientRequestId === undefined ? {} : { clientRequestId: context.clientRequestId }) };
  if (failure.failure === 'too-large') {
    return new GraphError(context.code, `${context.answerer} answered ${failure.status} with a body over ${maxResponseBytes} bytes; not read`, { status: failure.status, ...where });
  }
  const what = failure.status === undefined ? 'was redirected' : `answered ${failure.status}`;
  return new GraphError(context.code, `${context.call} ${what}; redirects are not followed (check ${context.urlOption})`, {
    ...(failure.status === undefined ? {} : { status: failure.status }),
    ...where,
  });
}

/** A short, secret-free description of a connection failure: the OS code when there is one. */
export function describeNetworkFailure(cause: unknown): string {
  let current: unknown = cause;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = current.cause;
  }
  return 'connection failed';
}

/** A service-sent content-type, safe to quote in a message. */
export function describeContentType(headers: Headers): string {
  const value = headers.get('content-type');
  if (value === null || value.trim() === '') return 'no content-type';
  const printable = value.replace(/[^\x20-\x7E]/gu, '?').trim();
  return printable.length > 80 ? `${printable.slice(0, 80)}...` : printable;
}
