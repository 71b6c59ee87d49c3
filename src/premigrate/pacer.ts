/**
 * Paces bulk user creates under Microsoft Graph's identity throttling quotas (reference §3.5), so that a run
 * goes at the quota's rate instead of running into 429s and sleeping them off.
 *
 * The quotas are token buckets (§3.5 says so). The pacer keeps its own copy of the two that bind a bulk create
 * run, both per application+tenant pair:
 * - writes: 3,000 per 150 s (20 creates/s), each create costs 1;
 * - resource units: 3,500 per 10 s for a small tenant (< 50 users; 5,000 and 8,000 for medium and large),
 *   each create costs 1, plus 4 in an Azure AD B2C tenant ("Creating a user in an Azure AD B2C tenant
 *   increases cost by 4").
 * With the defaults the write bucket binds (20 creates/s against 70 creates/s of resource units). The small
 * tenant's figure is the default because a tenant being filled starts small, and the smaller bucket is the
 * safe guess. The tenant-wide write quota (18,000 per 5 min, 60/s) and the app-wide ones are looser than the
 * pair's for a single app and are not modelled.
 *
 * A bucket starts full (`initialFill`), refills continuously at limit/window, and acquire() takes from both.
 * Waiters are served first come, first served, so a batch of 20 is never starved by smaller requests.
 *
 * Headroom: the service charges a request when it arrives, the pacer when it grants it. While the service's
 * bucket is full, the time in between is refill the service never gets and the pacer counts, so a burst from
 * a full bucket would end up to `rate x latency` past the service's (against the emulator, the last batches
 * of the first burst were throttled). Each bucket therefore holds at most its limit less `latencyMs` of
 * refill: with the defaults (1 s) that is 20 of 3,000 writes and 350 of 3,500 resource units. It costs part
 * of the first burst only: at the steady rate the bucket is near empty and never reaches its cap. It also
 * leaves a little room for the app's calls the pacer does not see (lookups after a conflict, a JIT endpoint
 * on the same app registration).
 *
 * Graph's signals adjust the copy:
 * - backOff(seconds), from a Retry-After: nobody gets quota until the pause ends (the largest pause wins), and
 *   the buckets are emptied, because a 429 says the service's bucket is empty whatever the copy thinks. When
 *   the pause ends, the pacer resumes at the steady rate rather than with a burst into the same wall.
 * - observe(info), from each answer: counts 429s, and reads `x-ms-throttle-limit-percentage` (sent once more
 *   than 80% of a quota is used). The rule: when the service reports a use `p` above `slowDownAbove` (0.9)
 *   that is higher than the pacer's own use `u` (1 - tokens/limit, the larger of its two buckets) by more than
 *   5 points, the difference is traffic the pacer does not know about (another process with the same app,
 *   JIT creates, a quota smaller than configured). Then (1) the buckets drop to what the service says is left,
 *   `(1 - p) * limit`, and (2) the rate is multiplied by `1 - (p - u)`, proportionally to the unexplained
 *   share (never below `minRateFactor`), and climbs back to the full rate over one write window.
 *   Why not slow down on `p` alone: a pacer that runs at the quota keeps the service's bucket near empty by
 *   design, so every answer of a well-paced run says `p` ~ 1.0. Slowing down on that would cap every run
 *   below the quota; what matters is use the pacer cannot account for. Lags (answers arrive after the pacer
 *   charged the batch, the service refills meanwhile) all make `p` lower than `u`, never higher, so a lone
 *   run does not trip the rule. The header does not say which quota it is about, so both buckets follow it.
 */
import { z } from 'zod';
import { LegacyIdpError } from '../core/errors.js';
import { parseOptions } from '../core/validate.js';
import { defaultMaxRetryAfterMs } from '../graph/client.js';
import { defaultSleep, timerDelay } from '../graph/retry.js';

const isFunction = (value: unknown): boolean => typeof value === 'function';

const pacerSchema = z
  .object({
    /** Write quota of the app+tenant pair: 3,000 per 150 s (reference §3.5). */
    writesPerWindow: z.number().int().min(1).default(3000),
    windowMs: z.number().int().min(1).default(150_000),
    /** Resource-unit quota of the app+tenant pair; default the small tenant's 3,500 per 10 s (§3.5). */
    resourceUnitsPerWindow: z.number().int().min(1).default(3500),
    resourceUnitWindowMs: z.number().int().min(1).default(10_000),
    /** Azure AD B2C tenant: a create costs 4 more resource units (§3.5). */
    b2c: z.boolean().default(true),
    /** Resource units per create; default 1, plus 4 when `b2c`. */
    createCost: z.number().min(0).optional(),
    /** How full the buckets are at the start, 0 to 1. Below 1 when another run used the quota moments ago. */
    initialFill: z.number().min(0).max(1).default(1),
    /**
     * Time from a grant to the service charging the request (a $batch round trip, roughly). Each bucket keeps
     * this much of its refill in reserve, at most half of it (see "Headroom" above).
     */
    latencyMs: z.number().int().min(0).default(1000),
    /** observe(): the reported quota use above which unexplained use slows the pacer down. */
    slowDownAbove: z.number().min(0.5).max(1.8).default(0.9),
    /** observe(): the slowest the pacer goes, as a share of the quota's rate. */
    minRateFactor: z.number().gt(0).max(1).default(0.25),
    /** Epoch milliseconds. */
    now: z.custom<() => number>(isFunction, 'expected a function returning epoch ms').optional(),
    sleep: z.custom<(ms: number, signal?: AbortSignal) => Promise<void>>(isFunction, 'expected a function (ms, signal) => Promise').optional(),
    /**
     * The longest pause backOff() makes (a longer Retry-After pauses this long), so a bogus or far-future
     * Retry-After cannot stop a run for days. Give the Graph client's and the sink's `maxRetryAfterMs` (same
     * default); the sink's own pacer gets it from the sink.
     */
    maxBackOffMs: z.number().int().min(0).default(defaultMaxRetryAfterMs),
  })
  .strict();

export type PacerOptions = z.input<typeof pacerSchema>;

/** What observe() reads: a ThrottleInfo from src/graph fits, and so does a batch item's status and headers. */
export interface PacerObservation {
  /** HTTP status; 429 counts as throttled. */
  status?: number;
  /** `x-ms-throttle-limit-percentage`: the share of a quota in use, 0.8 to 1.8 per the docs. */
  limitPercentage?: number;
}

export interface PacerStats {
  /** The quota's own create rate (the binding one of writes and resource units), per second. */
  quotaCreatesPerSecond: number;
  /** The rate the pacer allows now: the quota's rate times `rateFactor`. */
  createsPerSecond: number;
  /** 1 at full speed; lower after observe() saw use the pacer could not account for. */
  rateFactor: number;
  /** Creates granted by acquire(). */
  sent: number;
  /** 429 answers observed. */
  throttled: number;
  /** Creates that could be granted now without waiting. */
  available: number;
  /** Milliseconds left of a backOff() pause; 0 when none. */
  pausedMs: number;
  /** acquire() calls waiting. */
  waiting: number;
}

export interface Pacer {
  /** The most creates one acquire() can ask for (the smaller bucket, less its reserve, holds no more). */
  readonly maxAcquire: number;
  /** Resolves when `count` creates may be sent (and charges them); rejects with ERR_LEGACY_IDP_DEADLINE_EXCEEDED on abort. */
  acquire(count: number, signal?: AbortSignal): Promise<void>;
  /** A Retry-After (seconds, fractions kept): everyone waits this long from now, at most `maxBackOffMs`; the largest pause wins. */
  backOff(seconds: number): void;
  /** One answer's status and `x-ms-throttle-limit-percentage` (see the rule at the top of this file). */
  observe(info: PacerObservation): void;
  stats(): PacerStats;
}

interface Bucket {
  /** The service's bucket size. */
  limit: number;
  /** What the pacer lets itself hold: the limit less `latencyMs` of refill. */
  capacity: number;
  perMs: number;
  tokens: number;
  /** Tokens one create takes from this bucket. */
  cost: number;
}

interface Waiter {
  count: number;
  resolve: () => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A service use above the pacer's own by less than this is lag and rounding, not someone else's traffic. */
const unexplainedTolerance = 0.05;

function abortedWhileWaiting(signal: AbortSignal): LegacyIdpError {
  return new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', 'pacer: the caller aborted while waiting for Graph quota', { cause: signal.reason });
}

export function createPacer(options: PacerOptions = {}): Pacer {
  const config = parseOptions(pacerSchema, options, 'createPacer');
  const now = config.now ?? Date.now;
  const sleep = config.sleep ?? defaultSleep;
  const createCost = config.createCost ?? 1 + (config.b2c ? 4 : 0);
  const makeBucket = (limit: number, windowMs: number, cost: number): Bucket => {
    const perMs = limit / windowMs;
    const capacity = limit - Math.min(limit / 2, perMs * config.latencyMs);
    return { limit, capacity, perMs, tokens: capacity * config.initialFill, cost };
  };
  const writes = makeBucket(config.writesPerWindow, config.windowMs, 1);
  const units = makeBucket(config.resourceUnitsPerWindow, config.resourceUnitWindowMs, createCost);
  const buckets = createCost > 0 ? [writes, units] : [writes];
  // The most creates one acquire() can ever get: more would wait forever.
  const maxCount = Math.min(...buckets.map((bucket) => Math.floor(bucket.capacity / bucket.cost)));
  const quotaCreatesPerMs = Math.min(...buckets.map((bucket) => bucket.perMs / bucket.cost));

  let at = now();
  let rateFactor = 1;
  let pausedUntil = Number.NEGATIVE_INFINITY;
  let sent = 0;
  let throttled = 0;
  const queue: Waiter[] = [];
  let pumping = false;
  let wake: AbortController | undefined;

  /** Refills for the time passed, at the current rate, and lets the rate recover. */
  function advance(): void {
    const time = now();
    const elapsed = time - at;
    if (elapsed <= 0) return;
    at = time;
    for (const bucket of buckets) bucket.tokens = Math.min(bucket.capacity, bucket.tokens + elapsed * bucket.perMs * rateFactor);
    rateFactor = Math.min(1, rateFactor + (elapsed / config.windowMs) * (1 - config.minRateFactor));
  }

  /** Milliseconds until `count` creates may go; 0 when now. */
  function waitFor(count: number): number {
    advance();
    let wait = Math.max(0, pausedUntil - at);
    for (const bucket of buckets) {
      const missing = count * bucket.cost - bucket.tokens;
      if (missing > 0) wait = Math.max(wait, missing / (bucket.perMs * rateFactor));
    }
    return wait <= 0 ? 0 : Math.max(1, Math.ceil(wait));
  }

  function settle(waiter: Waiter): void {
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      for (let head = queue[0]; head !== undefined; head = queue[0]) {
        const wait = waitFor(head.count);
        if (wait === 0) {
          for (const bucket of buckets) bucket.tokens -= head.count * bucket.cost;
          sent += head.count;
          queue.shift();
          settle(head);
          head.resolve();
          continue;
        }
        wake = new AbortController();
        await sleep(timerDelay(wait), wake.signal);
        wake = undefined;
      }
    } catch (error) {
      // An injected sleep that throws: nobody can be served any more.
      const failure = error instanceof Error ? error : new Error('pacer: sleep failed');
      for (const waiter of queue.splice(0)) {
        settle(waiter);
        waiter.reject(failure);
      }
    } finally {
      pumping = false;
      wake = undefined;
    }
  }

  function backOff(seconds: number): void {
    if (Number.isNaN(seconds) || seconds < 0) return;
    advance();
    pausedUntil = Math.max(pausedUntil, at + Math.min(seconds * 1000, config.maxBackOffMs));
    for (const bucket of buckets) bucket.tokens = Math.min(bucket.tokens, 0);
  }

  return {
    maxAcquire: maxCount,

    acquire(count, signal) {
      if (!Number.isInteger(count) || count < 1 || count > maxCount) {
        return Promise.reject(new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `pacer.acquire: count must be an integer from 1 to ${maxCount} (got ${String(count)})`));
      }
      if (signal?.aborted === true) return Promise.reject(abortedWhileWaiting(signal));
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { count, resolve, reject, signal, onAbort: undefined };
        if (signal !== undefined) {
          waiter.onAbort = () => {
            const index = queue.indexOf(waiter);
            if (index < 0) return;
            queue.splice(index, 1);
            reject(abortedWhileWaiting(signal));
            // The pump may be sleeping for this waiter's share; let it look at the next one.
            if (index === 0) wake?.abort();
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        queue.push(waiter);
        void pump();
      });
    },

    backOff,

    observe(info) {
      if (info.status === 429) throttled += 1;
      const reported = info.limitPercentage;
      if (reported === undefined || !Number.isFinite(reported) || reported <= config.slowDownAbove) return;
      advance();
      const own = Math.max(...buckets.map((item) => 1 - item.tokens / item.limit));
      const unexplained = reported - own;
      if (unexplained <= unexplainedTolerance) return;
      const left = Math.max(0, 1 - reported);
      for (const item of buckets) item.tokens = Math.min(item.tokens, left * item.limit);
      rateFactor = Math.max(config.minRateFactor, Math.min(rateFactor, 1 - unexplained));
    },

    stats() {
      advance();
      const available = Math.max(0, Math.min(...buckets.map((bucket) => Math.floor(bucket.tokens / bucket.cost))));
      return {
        quotaCreatesPerSecond: quotaCreatesPerMs * 1000,
        createsPerSecond: quotaCreatesPerMs * 1000 * rateFactor,
        rateFactor,
        sent,
        throttled,
        available: at < pausedUntil ? 0 : available,
        pausedMs: Math.max(0, pausedUntil - at),
        waiting: queue.length,
      };
    },
  };
}
