import { LegacyIdpError } from '../core/errors.js';

/**
 * FIFO semaphore for CPU-heavy hash work. Native hashing shares libuv's 4-thread pool with fs, dns.lookup
 * and zlib; letting at most one hash per core in flight keeps those responsive at the same throughput
 * (shared/reference/perf-baselines.md, decision 2). A bounded queue fails fast with a typed "busy"
 * error instead of letting latency grow without limit.
 */
export interface ComputeGate {
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly inFlight: number;
  readonly queued: number;
}

export function createComputeGate(concurrency: number, maxQueue: number): ComputeGate {
  let inFlight = 0;
  const waiting: (() => void)[] = [];

  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };

  return {
    get inFlight() {
      return inFlight;
    },
    get queued() {
      return waiting.length;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (inFlight >= concurrency) {
        if (waiting.length >= maxQueue) {
          throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_BUSY', `hash queue full (${maxQueue} waiting); retry later`);
        }
        // The permit passes straight from the releasing task to this one (inFlight unchanged).
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        inFlight++;
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
