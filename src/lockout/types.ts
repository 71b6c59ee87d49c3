/**
 * The lockout store contract. The policy (policy.ts) turns a sign-in into targets (one per scope: account,
 * account + client IP, client IP) with their thresholds and lock growth; a store applies one whole step to
 * every target atomically (a Lua script in Redis, a synchronous function in memory). Stores hold no policy
 * of their own: the rules are in rules.ts, and the Redis scripts mirror them line by line.
 *
 * All times are milliseconds from the policy's clock, passed in `now`, so tests drive time and several
 * instances agree as long as their clocks do.
 */
import type { LockoutScope } from '../core/lockout.js';

/** How a scope's lock grows: base x factor^(locks so far - 1), capped; optionally permanent after N locks. */
export interface LockGrowth {
  baseMs: number;
  factor: number;
  maxMs: number;
  /** The lock number that becomes permanent (admin unlock only); 0 = never. */
  permanentAfter: number;
  /** The lock count is forgotten this long after the last lock (the growth starts again from base). */
  memoryMs: number;
}

/** One key the step touches, with the rule that applies to it. */
export interface LockoutTarget {
  scope: LockoutScope;
  /**
   * The key as the policy derives it (`a:<account>`, `ai:<account>\0<ip>`, `i:<ip>`): it contains the username
   * and IP. An in-process store uses it as is; a store whose key names others can list (Redis) must use a
   * digest of it in key names.
   */
  key: string;
  /**
   * Targets with the same slot may be updated by one script on Redis Cluster (they share a hash tag): an
   * account's own keys share one, an IP's key has its own. Like `key`, it holds the name itself: digest it.
   */
  slot: string;
  /** What admin calls show for this key: the account, the IP, or `account @ ip`. */
  label: string;
  /** Failures that lock; the threshold-th failure is still checked, the next attempt is refused. */
  threshold: number;
  /** Failures are forgotten this long after the last one (consecutive failures, as AD and Keycloak count). */
  windowMs: number;
  lock: LockGrowth;
}

/** Remembered digests of recent wrong attempts, kept on the account target. */
export interface RepeatRule {
  /** How many recent digests to keep (Entra smart lockout: the last 3). */
  remember: number;
  ttlMs: number;
}

export interface ReserveRequest {
  now: number;
  /** Random id of this attempt: marks the lock it causes so a cancel or success can take it back. */
  ticket: string;
  /** Account first; the repeat list lives on `targets[0]`. */
  targets: readonly LockoutTarget[];
  /** Keyed HMAC of (account, password): a repeat of a remembered one is allowed without counting. */
  attemptDigest?: string;
  repeat: RepeatRule;
}

export type ReserveResult =
  | { allowed: true; counted: boolean }
  | { allowed: false; scope: LockoutScope; retryAfterMs: number; permanent: boolean };

/**
 * How an attempt ended. `failure` only needs the store when the digest arrives late (not given to reserve);
 * `success` resets the account scopes and takes this attempt back from the IP scope; `cancel` takes the
 * attempt back everywhere (the check never happened).
 */
export interface SettleRequest {
  now: number;
  ticket: string;
  targets: readonly LockoutTarget[];
  kind: 'success' | 'cancel' | 'failure';
  /** Whether reserve counted the attempt (a repeat was not counted: nothing to take back). */
  counted: boolean;
  attemptDigest?: string;
  repeat: RepeatRule;
}

/** What admin calls see for one key. */
export interface LockoutKeyStatus {
  scope: LockoutScope;
  label: string;
  /** Failures counted since the last reset or lock. */
  failures: number;
  /** Locks so far within the lock memory (drives the growth). */
  lockCount: number;
  /** Epoch ms the current lock ends; 0 when not locked. Permanent locks report 0 here and `permanent: true`. */
  lockedUntil: number;
  permanent: boolean;
}

export interface ListLockedResult {
  items: LockoutKeyStatus[];
  /** False when the store stopped early (limit or scan budget) and more locked keys may exist. */
  complete: boolean;
}

/** A store answers with a promise, or directly when it works in process (no timer, no extra tick). */
export type MaybePromise<T> = T | Promise<T>;

export interface LockoutStore {
  readonly name: string;
  /** True when several processes share this store (Redis); the policy then needs a shared HMAC secret. */
  readonly shared: boolean;
  reserve(request: ReserveRequest): MaybePromise<ReserveResult>;
  settle(request: SettleRequest): MaybePromise<void>;
  status(target: Pick<LockoutTarget, 'key' | 'scope' | 'slot'>, now: number): Promise<LockoutKeyStatus | null>;
  /** Clears the lock and every counter of one key; false when the key held nothing. */
  unlock(target: Pick<LockoutTarget, 'key' | 'scope' | 'slot'>, now: number): Promise<boolean>;
  listLocked(options: { now: number; limit: number }): Promise<ListLockedResult>;
  close?(): Promise<void>;
}
