/**
 * One HTTP exchange with a deadline. The timeout covers the body too (a server that sends headers and then
 * stalls is as stuck as one that never answers), and it is enforced by a race as well as by the abort
 * signal, so an injected fetch that ignores `signal` still cannot hang a sign-in.
 */

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
}

export type HttpFailure = { failure: 'timeout' | 'aborted' | 'network'; cause: unknown };

const isFailure = (value: HttpAnswer | HttpFailure): value is HttpFailure => 'failure' in value;
export { isFailure as isHttpFailure };

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export async function exchange(fetchFn: FetchLike, request: HttpRequest, timeoutMs: number, signal?: AbortSignal): Promise<HttpAnswer | HttpFailure> {
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
    const init: RequestInit = { method: request.method, headers: request.headers, signal: controller.signal };
    if (request.body !== undefined) init.body = request.body;
    const answer = (async (): Promise<HttpAnswer> => {
      const response = await fetchFn(request.url, init);
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: parseJson(text) };
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
