import { LegacyIdpError } from './errors.js';

/** A deadline as callers give it: an AbortSignal they own, or a budget in milliseconds from now. */
export type Deadline = AbortSignal | number;

export function deadlineSignal(deadline: Deadline | undefined, fallbackMs: number | undefined): AbortSignal | undefined {
  if (deadline === undefined) return fallbackMs === undefined ? undefined : AbortSignal.timeout(fallbackMs);
  if (typeof deadline === 'number') {
    if (!Number.isFinite(deadline) || deadline < 0) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'deadline must be a non-negative number of milliseconds');
    }
    return AbortSignal.timeout(deadline);
  }
  return deadline;
}

export const deadlineExceeded = Symbol('deadlineExceeded');

/**
 * Resolves with the operation's value, or with `deadlineExceeded` as soon as the signal aborts. The
 * operation keeps its own rejection handler so a late failure never becomes an unhandled rejection.
 */
export function raceDeadline<T>(operation: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof deadlineExceeded> {
  if (!signal) return operation;
  if (signal.aborted) {
    operation.catch(() => undefined);
    return Promise.resolve(deadlineExceeded);
  }
  return new Promise<T | typeof deadlineExceeded>((resolve, reject) => {
    const onAbort = (): void => {
      resolve(deadlineExceeded);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    operation.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
