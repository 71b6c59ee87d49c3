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
 * One sign-in's deadline: the signal handed to backends, a `race` for each step, and `dispose` when the call is
 * done. Cheaper than an `AbortSignal.timeout` raced per step, which a cheap sign-in paid for in full: on Node 20
 * making an AbortSignal costs ~9 us and adding and removing an abort listener ~8 us (2-vCPU VM), together a
 * third of a {SSHA} sign-in's CPU. Here a millisecond budget is one timer; the steps race one promise the timer
 * (or the caller's signal, through a single listener) settles; and the signal is made only when a backend
 * reads `signal` (most in-memory and cached steps never do).
 */
export interface CallDeadline {
  /** False when there is no deadline (then `signal` is undefined and `race` passes the operation through). */
  readonly bounded: boolean;
  readonly signal: AbortSignal | undefined;
  race<T>(operation: Promise<T>): Promise<T | typeof deadlineExceeded>;
  dispose(): void;
}

const noDeadline: CallDeadline = {
  bounded: false,
  signal: undefined,
  race: (operation) => operation,
  dispose: () => undefined,
};

/** Throws ERR_LEGACY_IDP_INVALID_INPUT for a negative or non-finite millisecond budget, as `deadlineSignal` does. */
export function callDeadline(deadline: Deadline | undefined, fallbackMs: number | undefined): CallDeadline {
  const budget = deadline ?? fallbackMs;
  if (budget === undefined) return noDeadline;
  if (typeof budget === 'number' && (!Number.isFinite(budget) || budget < 0)) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'deadline must be a non-negative number of milliseconds');
  }
  let passed = false;
  let expire: (value: typeof deadlineExceeded) => void = () => undefined;
  const expired = new Promise<typeof deadlineExceeded>((resolve) => {
    expire = resolve;
  });
  const race = <T>(operation: Promise<T>): Promise<T | typeof deadlineExceeded> => {
    if (passed) {
      // The operation keeps a rejection handler: a late failure never becomes an unhandled rejection.
      operation.catch(() => undefined);
      return Promise.resolve(deadlineExceeded);
    }
    return Promise.race([
      operation.catch((error: unknown) => {
        throw error instanceof Error ? error : new Error(String(error));
      }),
      expired,
    ]);
  };

  if (typeof budget !== 'number') {
    const onAbort = (): void => {
      passed = true;
      expire(deadlineExceeded);
    };
    if (budget.aborted) onAbort();
    else budget.addEventListener('abort', onAbort, { once: true });
    return {
      bounded: true,
      signal: budget,
      race,
      dispose() {
        budget.removeEventListener('abort', onAbort);
      },
    };
  }

  let controller: AbortController | undefined;
  const reason = (): LegacyIdpError => new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', `deadline of ${budget} ms exceeded`);
  const timer = setTimeout(() => {
    passed = true;
    controller?.abort(reason());
    expire(deadlineExceeded);
  }, budget);
  // Like AbortSignal.timeout: a pending sign-in's budget never keeps the process alive on its own.
  timer.unref();
  return {
    bounded: true,
    get signal() {
      if (controller === undefined) {
        controller = new AbortController();
        if (passed) controller.abort(reason());
      }
      return controller.signal;
    },
    race,
    dispose() {
      clearTimeout(timer);
    },
  };
}
