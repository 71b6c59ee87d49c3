/**
 * In-process lockout store: one Map in insertion order, bounded (locked keys are never evicted), swept. Right for
 * one JIT instance; several instances need a shared store (Redis), or each counts only its own share of a guess run.
 */
import { z } from 'zod';
import { LegacyIdpError } from '../../core/errors.js';
import { parseOptions } from '../../core/validate.js';
import { applyReserve, applySettle, isLocked, recordExpiresAt, statusOf, type LockoutRecord, type RecordAccess } from '../rules.js';
import type { ListLockedResult, LockoutStore, LockoutTarget } from '../types.js';

const memoryStoreSchema = z
  .object({
    /**
     * Keys kept at most. About 0.5 KB each with a full repeat list (docs/benchmarks.md), so the default
     * 100,000 is about 50 MB. Unknown usernames create keys too: this bound is what stops a spray of random
     * names from growing memory without limit. At least 3: one attempt may create a key for each scope.
     */
    maxKeys: z.number().int().min(3).default(100_000),
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

/**
 * Unlocked keys the eviction compares for each key it makes room for, and keys it may pass over in all (locked
 * ones, mostly): a full store costs a new key a bounded amount of work, never a walk over the whole Map, and only
 * a run of more than `evictionSteps` locked keys in a row makes it refuse one.
 */
const candidateScan = 32;
const evictionSteps = 1_024;

/** Weight of one lock against failures: a key locked before outweighs any count of failures (at most 100). */
const lockWeight = 2 ** 32;

/**
 * What an unlocked record is worth keeping: its locks within the lock memory (they set the next lock's length),
 * then its live failures. Never below 1, so "no lock history and at most one failure" is the floor: the cheapest
 * key an attacker can make, which is why a flood of made-up names only ever evicts its own kind.
 */
function worth(record: LockoutRecord, now: number): number {
  const locks = record.lockCountExpiresAt > now ? record.lockCount : 0;
  const failures = record.failuresExpireAt > now ? record.failures : 0;
  return locks * lockWeight + Math.max(1, failures);
}

/** The targets of a call that has none (status, unlock): no key is kept from eviction on its behalf. */
const noTargets: readonly LockoutTarget[] = [];

function isTargetKey(targets: readonly LockoutTarget[], key: string): boolean {
  for (const target of targets) if (target.key === key) return true;
  return false;
}

export function memoryLockoutStore(options: MemoryLockoutStoreOptions = {}): MemoryLockoutStore {
  const config = parseOptions(memoryStoreSchema, options, 'memory lockout store options');
  // Records themselves, no wrapper: their expiry is computed from their own fields when needed.
  const entries = new Map<string, LockoutRecord>();

  /**
   * Where the eviction goes on from, kept between calls: a hand going round the Map in insertion order, as in the
   * CLOCK page-replacement algorithm. A fresh iterator per eviction walked from the table's start over the hole
   * each deleted key leaves until V8 compacts the table: ~150 us per new key at 10^5 keys, where the hand is only
   * ever a few entries from its next key. Keys added while it goes round are still reached, as Map iteration
   * promises; a key it passes is looked at again on its next round.
   */
  let hand = entries.entries();
  function nextEntry(): [string, LockoutRecord] | undefined {
    let step = hand.next();
    if (step.done === true) {
      hand = entries.entries();
      step = hand.next();
    }
    return step.done === true ? undefined : step.value;
  }

  /**
   * Drops one key to make room: the least valuable (`worth`) of the next `candidateScan` unlocked keys the hand
   * comes to, the first among equals, never one the current step uses (`keep`). Locked keys are never evicted,
   * only passed over. False when no unlocked key came up within `evictionSteps`: the store is full of locks,
   * and evicting one would let a flood of new names unlock a victim.
   */
  function evictOne(now: number, keep: readonly LockoutTarget[]): boolean {
    let victim: string | undefined;
    let victimWorth = Number.POSITIVE_INFINITY;
    let candidates = 0;
    const steps = Math.min(entries.size, evictionSteps);
    for (let step = 0; step < steps; step++) {
      const entry = nextEntry();
      if (entry === undefined) break;
      const [key, record] = entry;
      if (isLocked(record, now) || isTargetKey(keep, key)) continue;
      const value = worth(record, now);
      if (value < victimWorth) {
        victim = key;
        victimWorth = value;
        if (value <= 1) break;
      }
      if (++candidates === candidateScan) break;
    }
    if (victim === undefined) return false;
    entries.delete(victim);
    return true;
  }

  // One view, reused: every step runs synchronously, so only `now` and the step's targets change between calls
  // and no closures are built per attempt.
  const view: RecordAccess & { now: number; targets: readonly LockoutTarget[] } = {
    now: 0,
    targets: noTargets,
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
      // per attempt at 10^5 keys. `reserve` made room before its step; only a late `failure` settle can add
      // here at the bound (it remembers the digest of an attempt whose key was evicted meanwhile), and when
      // nothing may go, dropping that record only lets the same wrong password count again.
      if (entries.size >= config.maxKeys && !evictOne(this.now, this.targets)) return;
      entries.set(key, record);
    },
    delete(key) {
      entries.delete(key);
    },
  };
  function access(now: number, targets: readonly LockoutTarget[] = noTargets): typeof view {
    view.now = now;
    view.targets = targets;
    return view;
  }

  /**
   * Room for the keys this step may create, made before the step changes anything, so a full store refuses an
   * attempt whole rather than counting it on some scopes only. A target that is locked already gets its
   * refusal: the step then creates nothing.
   */
  function makeRoom(records: typeof view, targets: readonly LockoutTarget[]): void {
    let missing = 0;
    for (const target of targets) if (records.get(target.key) === undefined) missing++;
    while (entries.size + missing > config.maxKeys) {
      if (evictOne(records.now, targets)) continue;
      for (const target of targets) {
        const record = entries.get(target.key);
        if (record && isLocked(record, records.now)) return;
      }
      // A store failure, not a refusal: the policy answers it by its failureMode (fail-closed: `unavailable`).
      throw new LegacyIdpError(
        'ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE',
        `memory lockout store is full of locked keys (maxKeys ${config.maxKeys}): a new key cannot be added`,
      );
    }
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
    reserve: (request) => {
      const records = access(request.now, request.targets);
      // Below the bound (the common case) no key is even looked up twice.
      if (entries.size + request.targets.length > config.maxKeys) makeRoom(records, request.targets);
      return applyReserve(records, request);
    },
    settle: (request) => {
      applySettle(access(request.now, request.targets), request);
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
