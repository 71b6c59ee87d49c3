import { LegacyIdpError } from './errors.js';

/** A deadline as callers give it: an AbortSignal they own, or a budget in milliseconds from now. */
export type Deadline = AbortSignal | number;

/**
 * The longest delay one Node timer holds (about 24.8 days). Node fires a longer one after 1 ms, with a
 * TimeoutOverflowWarning, and `AbortSignal.timeout` refuses one above 2^32-1: a longer budget waits in steps.
 */
export const maxTimerMs = 2 ** 31 - 1;

/** A delay a timer can hold: NaN and negatives are 0, longer ones are cut to `maxTimerMs`. */
export function timerDelay(ms: number): number {
  return Number.isNaN(ms) || ms <= 0 ? 0 : Math.min(ms, maxTimerMs);
}

/** A timer that an abort ends early (it resolves then; the caller looks at the signal). Waits longer than ~24.8 days are cut to that. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
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

/**
 * When each timed signal made here aborts, in `performance.now()` time. A backend that delays an answer on purpose
 * (the LDAP store's failure hold) reads it to answer before the deadline: an answer after it is `unavailable`,
 * which the lockout does not count. A WeakMap, so nothing is added to the signal and nothing outlives it.
 */
const abortTimes = new WeakMap<AbortSignal, number>();

/** When `signal` aborts by its timer (`performance.now()` time), if a budget made here set it; else undefined. */
export function plannedAbortTime(signal: AbortSignal | undefined): number | undefined {
  return signal === undefined ? undefined : abortTimes.get(signal);
}

export function deadlineSignal(deadline: Deadline | undefined, fallbackMs: number | undefined): AbortSignal | undefined {
  if (deadline === undefined) return fallbackMs === undefined ? undefined : timeoutSignal(fallbackMs);
  if (typeof deadline === 'number') {
    if (!Number.isFinite(deadline) || deadline < 0) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'deadline must be a non-negative number of milliseconds');
    }
    return timeoutSignal(deadline);
  }
  return deadline;
}

/** `AbortSignal.timeout(ms)`, also for a budget longer than one timer holds: it never aborts early. */
function timeoutSignal(ms: number): AbortSignal {
  const abortsAt = performance.now() + ms;
  if (ms <= maxTimerMs) {
    const signal = AbortSignal.timeout(ms);
    abortTimes.set(signal, abortsAt);
    return signal;
  }
  const controller = new AbortController();
  abortTimes.set(controller.signal, abortsAt);
  let left = ms;
  const step = (): void => {
    if (left <= 0) {
      controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      return;
    }
    const wait = Math.min(left, maxTimerMs);
    left -= wait;
    // Unref'd like AbortSignal.timeout's own timer: a pending deadline never keeps the process alive.
    setTimeout(step, wait).unref();
  };
  step();
  return controller.signal;
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
  return typeof budget === 'number' ? new TimedDeadline(budget) : new SignalDeadline(budget);
}

/**
 * What both kinds of deadline share: one promise that settles when the deadline passes, raced by each step. The
 * deadlines are classes with their getters on the prototype, not object literals with getters: see
 * `withSignalOf` for what a per-call accessor literal costs.
 */
abstract class SettlingDeadline implements CallDeadline {
  readonly bounded = true;
  abstract readonly signal: AbortSignal | undefined;
  protected passed = false;
  #expire: (value: typeof deadlineExceeded) => void = () => undefined;
  readonly #expired = new Promise<typeof deadlineExceeded>((resolve) => {
    this.#expire = resolve;
  });

  protected expire(): void {
    this.passed = true;
    this.#expire(deadlineExceeded);
  }

  race<T>(operation: Promise<T>): Promise<T | typeof deadlineExceeded> {
    if (this.passed) {
      // The operation keeps a rejection handler: a late failure never becomes an unhandled rejection.
      operation.catch(() => undefined);
      return Promise.resolve(deadlineExceeded);
    }
    return Promise.race([
      operation.catch((error: unknown) => {
        throw error instanceof Error ? error : new Error(String(error));
      }),
      this.#expired,
    ]);
  }

  abstract dispose(): void;
}

/** The caller's own AbortSignal, through a single listener. */
class SignalDeadline extends SettlingDeadline {
  readonly #onAbort = (): void => {
    this.expire();
  };

  constructor(readonly signal: AbortSignal) {
    super();
    if (signal.aborted) this.expire();
    else signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  dispose(): void {
    this.signal.removeEventListener('abort', this.#onAbort);
  }
}

/**
 * A budget in milliseconds: one timer (a budget beyond `maxTimerMs` re-arms it, so it never passes early), and a
 * signal made only when a backend reads it.
 */
class TimedDeadline extends SettlingDeadline {
  #controller: AbortController | undefined;
  readonly #budget: number;
  /** What is still to wait once the current timer fires; 0 for any budget one timer holds. */
  #left: number;
  #timer: NodeJS.Timeout;
  readonly #abortsAt: number;

  constructor(budget: number) {
    super();
    this.#budget = budget;
    this.#abortsAt = performance.now() + budget;
    this.#left = budget;
    this.#timer = this.#arm();
  }

  #arm(): NodeJS.Timeout {
    const wait = Math.min(this.#left, maxTimerMs);
    this.#left -= wait;
    const timer = setTimeout(() => {
      if (this.#left > 0) {
        this.#timer = this.#arm();
        return;
      }
      this.expire();
      this.#controller?.abort(this.#reason());
    }, wait);
    // Like AbortSignal.timeout: a pending sign-in's budget never keeps the process alive on its own.
    timer.unref();
    return timer;
  }

  #reason(): LegacyIdpError {
    return new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', `deadline of ${this.#budget} ms exceeded`);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      abortTimes.set(this.#controller.signal, this.#abortsAt);
      if (this.passed) this.#controller.abort(this.#reason());
    }
    return this.#controller.signal;
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}

const signalSource = Symbol('legacy-idp.signalSource');

interface SignalCarrier {
  [signalSource]: { readonly signal: AbortSignal | undefined };
}

/**
 * One getter for every object `withSignalOf` gives a `signal`: it reads the signal of the source the object
 * carries under a symbol. Why not `Object.defineProperty(fields, 'signal', { get: () => source.signal })` or a
 * literal `{ get signal() {...} }`: V8 keeps an accessor's functions in an old-space pair, and what an old object
 * points at survives every minor GC until a major one. A per-call getter closure held the call, so each call's
 * objects (node's request and response included) were promoted: under load scavenges took ~9 ms instead of
 * ~0.4 ms, and the JIT pipeline cost about twice its own work (docs/benchmarks.md, "Per-request cost"). A shared
 * getter is old itself and holds nothing of a call.
 */
const signalDescriptor: PropertyDescriptor = {
  get(this: SignalCarrier): AbortSignal | undefined {
    return this[signalSource].signal;
  },
  enumerable: true,
  configurable: true,
};

/**
 * `fields` with an enumerable `signal` that reads `source.signal` when something asks for it, so a signal made on
 * demand (a deadline's, a client-gone one) is made only if a backend reads it. Returns `fields` itself. The source
 * sits under a symbol key, assigned rather than defined (a second `defineProperty` per step cost more than the
 * getter); `Object.keys`, JSON and the loggers' field copies do not see it.
 */
export function withSignalOf<T extends object, Signal extends AbortSignal | undefined>(fields: T, source: { readonly signal: Signal }): T & { readonly signal: Signal } {
  (fields as T & SignalCarrier)[signalSource] = source;
  return Object.defineProperty(fields, 'signal', signalDescriptor) as T & { readonly signal: Signal };
}
