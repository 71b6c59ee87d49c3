/**
 * In-process lockout store: one Map in insertion order, bounded (locked keys are spared), swept. Right for one JIT
 * instance; several instances need a shared store (Redis), or each counts only its own share of a guess run.
 */
import { z } from 'zod';
import { parseOptions } from '../../core/validate.js';
import { applyReserve, applySettle, isLocked, recordExpiresAt, statusOf, type LockoutRecord, type RecordAccess } from '../rules.js';
import type { ListLockedResult, LockoutStore } from '../types.js';

const memoryStoreSchema = z
  .object({
    /**
     * Keys kept at most. About 0.5 KB each with a full repeat list (docs/benchmarks.md), so the default
     * 100,000 is about 50 MB. Unknown usernames create keys too: this bound is what stops a spray of random
     * names from growing memory without limit.
     */
    maxKeys: z.number().int().min(1).default(100_000),
    /** How often expired keys are swept (they are also dropped lazily when touched). 0 = never. */
    sweepIntervalMs: z.number().int().min(0).default(60_000),
  })
  .strict();

export type MemoryLockoutStoreOptions = z.input<typeof memoryStoreSchema>;

export interface MemoryLockoutStore extends LockoutStore {
  /** Keys held now (live or not yet swept). */
  readonly size: number;
  /** Drops every expired key; returns how many. The timer calls it, tests and benchmarks may too. */
  sweep(now: number): number;
}

/** How far the eviction looks past locked keys before it gives up sparing them. */
const evictionScan = 32;

export function memoryLockoutStore(options: MemoryLockoutStoreOptions = {}): MemoryLockoutStore {
  const config = parseOptions(memoryStoreSchema, options, 'memory lockout store options');
  // Records themselves, no wrapper: their expiry is computed from their own fields when needed.
  const entries = new Map<string, LockoutRecord>();

  /**
   * Makes room for one key, oldest first (insertion order). Locked keys are moved to the young end instead
   * of evicted, so flooding the store with new names does not unlock a victim; only when the oldest
   * `evictionScan` keys are all locked is the oldest dropped anyway (the memory bound wins; docs/lockout.md
   * says so).
   */
  function evict(now: number): void {
    for (let scanned = 0; entries.size >= config.maxKeys && scanned < evictionScan; scanned++) {
      const oldest = entries.entries().next();
      if (oldest.done === true) return;
      const [key, record] = oldest.value;
      entries.delete(key);
      if (isLocked(record, now)) entries.set(key, record);
    }
    while (entries.size >= config.maxKeys) {
      const oldest = entries.keys().next();
      if (oldest.done === true) return;
      entries.delete(oldest.value);
    }
  }

  // One view, reused: every step runs synchronously, so only `now` changes between calls and no closures
  // are built per attempt.
  const view: RecordAccess & { now: number } = {
    now: 0,
    get(key) {
      const record = entries.get(key);
      if (!record) return undefined;
      if (recordExpiresAt(record) <= this.now) {
        entries.delete(key);
        return undefined;
      }
      return record;
    },
    add(key, record) {
      // Steps change held records in place; only a new record enters the Map. Moving keys on every update
      // (delete + set, for exact LRU order) made V8 rehash the table again and again: a third of the time
      // per attempt at 10^5 keys.
      evict(this.now);
      entries.set(key, record);
    },
    delete(key) {
      entries.delete(key);
    },
  };
  function access(now: number): RecordAccess {
    view.now = now;
    return view;
  }

  function sweep(now: number): number {
    let dropped = 0;
    for (const [key, record] of entries) {
      if (recordExpiresAt(record) <= now) {
        entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  const timer = config.sweepIntervalMs > 0 ? setInterval(() => sweep(Date.now()), config.sweepIntervalMs) : undefined;
  timer?.unref();

  return {
    name: 'memory',
    shared: false,
    get size() {
      return entries.size;
    },
    sweep,
    // Synchronous answers: the policy then skips its timeout timer, which matters at 10^5 attempts a second.
    reserve: (request) => applyReserve(access(request.now), request),
    settle: (request) => {
      applySettle(access(request.now), request);
    },
    status: (target, now) => {
      const record = access(now).get(target.key);
      return Promise.resolve(record ? statusOf(record, now) : null);
    },
    unlock: (target, now) => {
      const had = access(now).get(target.key) !== undefined;
      entries.delete(target.key);
      return Promise.resolve(had);
    },
    listLocked: ({ now, limit }) => {
      const result: ListLockedResult = { items: [], complete: true };
      for (const record of entries.values()) {
        if (!isLocked(record, now)) continue;
        if (result.items.length >= limit) {
          result.complete = false;
          break;
        }
        result.items.push(statusOf(record, now));
      }
      return Promise.resolve(result);
    },
    close: () => {
      if (timer) clearInterval(timer);
      return Promise.resolve();
    },
  };
}
