import { LegacyIdpError } from '../core/errors.js';

/**
 * FIFO semaphore for CPU-heavy hash work. Native hashing shares libuv's 4-thread pool with fs, dns.lookup
 * and zlib; letting at most one hash per core in flight keeps those responsive at the same throughput
 * (shared/reference/perf-baselines.md, decision 2). A bounded queue fails fast with a typed "busy"
 * error instead of letting latency grow without limit.
 *
 * Admission control (`maxWaitMs`): under a load the cores cannot keep up with, a queue only turns every
 * answer into a late one (64 sign-ins waiting for bcrypt-10 on 2 cores wait ~1.8 s each). With a wait budget
 * the gate refuses a task at once when the expected wait (tasks ahead of it / slots x the recent task time)
 * is over the budget, and drops a task that did wait longer than the budget before it started: the caller
 * answers "try again" within the budget, and the work admitted finishes in time. A refusal is
 * ERR_LEGACY_IDP_HASH_BUSY, which the stores and JIT protocols already answer as `unavailable`.
 */
export interface ComputeGate {
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly inFlight: number;
  readonly queued: number;
  /** Recent task duration in ms (moving average); undefined before the first task finished. */
  readonly averageTaskMs: number | undefined;
  /** Tasks refused or dropped for the wait budget since the gate was made. */
  readonly shed: number;
}

export interface ComputeGateOptions {
  /** Longest a task may wait for a slot (expected, then actual); no limit by default. */
  maxWaitMs?: number;
  /** Called after each task refused or dropped for the wait budget. */
  onShed?: () => void;
}

/** Weight of the newest task duration in the moving average: about the last ten tasks count. */
const averageWeight = 0.1;

export function createComputeGate(concurrency: number, maxQueue: number, options: ComputeGateOptions = {}): ComputeGate {
  const { maxWaitMs, onShed } = options;
  let inFlight = 0;
  let averageTaskMs: number | undefined;
  let shed = 0;
  const waiting: (() => void)[] = [];

  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };
  const busy = (message: string): LegacyIdpError => {
    shed++;
    onShed?.();
    return new LegacyIdpError('ERR_LEGACY_IDP_HASH_BUSY', message);
  };

  return {
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return waiting.length;
    },
    get averageTaskMs() {
      return averageTaskMs;
    },
    get shed() {
      return shed;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (inFlight >= concurrency) {
        if (waiting.length >= maxQueue) {
          throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_BUSY', `hash queue full (${maxQueue} waiting); retry later`);
        }
        if (maxWaitMs !== undefined && averageTaskMs !== undefined) {
          // Every slot is taken: this task starts after the queue ahead of it and one more task per slot.
          const expectedMs = ((waiting.length + 1) / concurrency) * averageTaskMs;
          if (expectedMs > maxWaitMs) throw busy(`hash queue wait of about ${Math.round(expectedMs)} ms is over the ${maxWaitMs} ms budget; retry later`);
        }
        const queuedAt = performance.now();
        // The permit passes straight from the releasing task to this one (inFlight unchanged).
        await new Promise<void>((resolve) => waiting.push(resolve));
        const waitedMs = performance.now() - queuedAt;
        if (maxWaitMs !== undefined && waitedMs > maxWaitMs) {
          // Too late to be of use (the estimate was wrong, or tasks got slower): the slot goes to the next one.
          release();
          throw busy(`waited ${Math.round(waitedMs)} ms for a hash slot, over the ${maxWaitMs} ms budget; retry later`);
        }
      } else {
        inFlight++;
      }
      const startedAt = performance.now();
      try {
        return await task();
      } finally {
        const took = performance.now() - startedAt;
        averageTaskMs = averageTaskMs === undefined ? took : averageTaskMs + averageWeight * (took - averageTaskMs);
        release();
      }
    },
  };
}
