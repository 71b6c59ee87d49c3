/**
 * When and how long to wait before trying a Graph request again. Graph's guidance (reference §3.5): on 429
 * wait `Retry-After` seconds (the documented example is fractional, `2.128`), and back off exponentially
 * when the header is absent. Waiting is injectable so tests assert the waits instead of timing them.
 */
import { LegacyIdpError } from '../core/errors.js';
import type { GraphError } from './errors.js';

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

/**
 * Retry-After as milliseconds: delta-seconds (fractions allowed, as Graph sends them) or an HTTP date.
 * Anything else, or nothing, is undefined and the caller falls back to backoff.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (secondsPattern.test(text)) return Math.round(Number(text) * 1000);
  // Date.parse also accepts loose forms like "1"; only strings that look like a date get this far.
  if (!/[a-z]/iu.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
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

/**
 * The longest timer Node keeps: a longer (or non-finite) delay would fire after 1 ms with a
 * TimeoutOverflowWarning, turning a long wait into a busy loop.
 */
export const maxTimerMs = 2 ** 31 - 1;

/** A delay a timer can hold: NaN and negatives are 0, longer ones are cut to `maxTimerMs`. */
export function timerDelay(ms: number): number {
  return Number.isNaN(ms) || ms <= 0 ? 0 : Math.min(ms, maxTimerMs);
}

/** The default sleep: a timer that an abort ends early (the loop then throws). Waits longer than ~24.8 days are cut to that. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, timerDelay(ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}
