/**
 * When and how long to wait before trying a Graph request again. Graph's guidance (reference §3.5): on 429
 * wait `Retry-After` seconds (the documented example is fractional, `2.128`), and back off exponentially
 * when the header is absent. Waiting is injectable so tests assert the waits instead of timing them.
 */
import { LegacyIdpError } from '../core/errors.js';
import type { GraphError } from './errors.js';
import { abortableSleep, maxTimerMs, timerDelay } from '../core/deadline.js';

export interface RetryPolicy {
  /** Retries after the first attempt (so at most maxRetries + 1 requests). */
  maxRetries: number;
  /** Backoff of the first retry when no Retry-After came; doubles per retry. */
  backoffBaseMs: number;
  /** Ceiling of the backoff (before jitter). */
  backoffMaxMs: number;
  /** A Retry-After longer than this is not waited out: the caller gets the error and decides. */
  maxRetryAfterMs: number;
  /** In [0, 1); the jitter source. */
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
}

/** Statuses worth another attempt: throttling and server-side failures. 4xx never (the request is wrong). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

const secondsPattern = /^\d+(?:\.\d+)?$/u;

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const month = `(${months.join('|')})`;
const time = '(\\d{2}):(\\d{2}):(\\d{2})';
/** RFC 9110 §5.6.7: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the preferred form. */
const imfFixdate = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${month} (\\d{4}) ${time} GMT$`, 'u');
/** The obsolete RFC 850 form, `Sunday, 06-Nov-94 08:49:37 GMT`, which recipients must still accept. */
const rfc850Date = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${month}-(\\d{2}) ${time} GMT$`, 'u');
/** The obsolete asctime form, `Sun Nov  6 08:49:37 1994`. */
const asctimeDate = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${month} ([ \\d]\\d) ${time} (\\d{4})$`, 'u');

/** Epoch ms of a valid calendar date and time (UTC), or undefined for `31 Feb` or `25:00:00`. */
function utc(year: number, monthName: string, day: number, hours: number, minutes: number, seconds: number): number | undefined {
  const monthIndex = months.indexOf(monthName);
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const at = Date.UTC(year, monthIndex, day, hours, minutes, Math.min(seconds, 59));
  const date = new Date(at);
  return date.getUTCFullYear() === year && date.getUTCMonth() === monthIndex && date.getUTCDate() === day ? at : undefined;
}

/**
 * An HTTP-date in one of RFC 9110's three forms, as epoch ms. Date.parse is not used: it takes loose text
 * such as "x 1" or "Mar 1" as some date in the past, which would turn into retries without any wait.
 */
function parseHttpDate(text: string, now: number): number | undefined {
  const fixdate = imfFixdate.exec(text);
  if (fixdate) {
    const [, day, name, year, hh, mm, ss] = fixdate;
    return utc(Number(year), name ?? '', Number(day), Number(hh), Number(mm), Number(ss));
  }
  const rfc850 = rfc850Date.exec(text);
  if (rfc850) {
    const [, day, name, yy, hh, mm, ss] = rfc850;
    // RFC 9110: a two-digit year more than 50 years ahead is the most recent past year with those digits.
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(yy);
    if (year > thisYear + 50) year -= 100;
    return utc(year, name ?? '', Number(day), Number(hh), Number(mm), Number(ss));
  }
  const asctime = asctimeDate.exec(text);
  if (asctime) {
    const [, name, day, hh, mm, ss, year] = asctime;
    return utc(Number(year), name ?? '', Number(day), Number(hh), Number(mm), Number(ss));
  }
  return undefined;
}

/**
 * Retry-After as milliseconds: delta-seconds (fractions allowed, as Graph sends them) or an HTTP-date (RFC
 * 9110 §10.2.3). Anything else, or nothing, is undefined and the caller falls back to backoff.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (secondsPattern.test(text)) return Math.round(Number(text) * 1000);
  const at = parseHttpDate(text, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}

/** Retry-After in (possibly fractional) seconds, as the batch result and GraphError report it. */
export function retryAfterSecondsOf(value: string | null | undefined, now: number): number | undefined {
  const ms = parseRetryAfter(value, now);
  return ms === undefined ? undefined : ms / 1000;
}

/**
 * "Full jitter": a uniform wait between 0 and min(cap, base * 2^retry). Spreads the retries of many
 * parallel writers (the bulk engine) instead of having them hit the quota again in step.
 */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffMaxMs' | 'random'>): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** retry);
  return Math.floor(policy.random() * ceiling);
}

/** One attempt's result: a value, or an error worth retrying (with the server's wait, when it gave one). */
export type AttemptResult<T> = { done: T } | { retry: GraphError; retryAfterMs: number | undefined };

export interface RetryEvent {
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  /** Whether the wait came from Retry-After (else it is backoff). */
  fromRetryAfter: boolean;
  error: GraphError;
}

/**
 * Runs `attempt` until it is done, the retries are spent (the last error is thrown), or the server asks
 * for a wait longer than `maxRetryAfterMs`. Errors thrown by `attempt` are final.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: () => Promise<AttemptResult<T>>,
  onRetry: (event: RetryEvent) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    const result = await attempt();
    if ('done' in result) return result.done;
    if (retry >= policy.maxRetries) throw result.retry;
    if (result.retryAfterMs !== undefined && result.retryAfterMs > policy.maxRetryAfterMs) throw result.retry;
    const delayMs = result.retryAfterMs ?? backoffDelay(retry, policy);
    onRetry({ retry: retry + 1, delayMs, fromRetryAfter: result.retryAfterMs !== undefined, error: result.retry });
    await sleepOrAbort(policy, delayMs, signal);
  }
}

async function sleepOrAbort(policy: RetryPolicy, ms: number, signal: AbortSignal | undefined): Promise<void> {
  throwIfAborted(signal);
  await policy.sleep(ms, signal);
  throwIfAborted(signal);
}

export function abortError(signal: AbortSignal): LegacyIdpError {
  return new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', 'the caller aborted the Graph request', { cause: signal.reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(signal);
}

export { maxTimerMs };

/** The default sleep: a timer that an abort ends early (the loop then throws). */
export const defaultSleep = abortableSleep;
export { timerDelay };
