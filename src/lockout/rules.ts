/**
 * The lockout rules as pure functions over per-key records. The memory store runs them directly; the Redis
 * store runs the same steps in Lua (stores/redis-scripts.ts), and the shared conformance suite holds both to
 * the same answers. Keep the two in step: every rule here has its twin there.
 */
import type { LockoutKeyStatus, LockoutTarget, ReserveRequest, ReserveResult, SettleRequest } from './types.js';
import type { LockoutScope } from '../core/lockout.js';

export interface RecentDigest {
  digest: string;
  expiresAt: number;
}

/** Everything kept for one key. Expired parts are cleared lazily by `refresh` before any decision. */
export interface LockoutRecord {
  scope: LockoutScope;
  label: string;
  /** While locked: 0, or minus the attempts taken back since the lock reset the count (see takeBack). */
  failures: number;
  failuresExpireAt: number;
  /** 0 = not locked (a permanent lock keeps 0 here and sets `permanent`). */
  lockedUntil: number;
  permanent: boolean;
  /** The attempt whose failure set the current lock, so its cancel or success can take the lock back. */
  lockTicket: string;
  lockCount: number;
  lockCountExpiresAt: number;
  /** Recent wrong-attempt digests (account records only), newest last. Replaced, never changed in place. */
  digests: readonly RecentDigest[];
}

/**
 * Reads and writes records by key; `undefined` = no record. A step changes the records it got in place (the
 * memory store runs a step synchronously, so nothing else sees one half-done) and `add`s new ones.
 */
export interface RecordAccess {
  get(key: string): LockoutRecord | undefined;
  /** A record not held yet. */
  add(key: string, record: LockoutRecord): void;
  delete(key: string): void;
}

/** Shared by every record without digests (most of them): one allocation fewer per new key. */
const noDigests: readonly RecentDigest[] = Object.freeze([]);

export function emptyRecord(target: Pick<LockoutTarget, 'scope' | 'label'>): LockoutRecord {
  return {
    scope: target.scope,
    label: target.label,
    failures: 0,
    failuresExpireAt: 0,
    lockedUntil: 0,
    permanent: false,
    lockTicket: '',
    lockCount: 0,
    lockCountExpiresAt: 0,
    digests: noDigests,
  };
}

/** Drops what has expired by `now`. */
export function refresh(record: LockoutRecord, now: number): LockoutRecord {
  if (record.failures > 0 && now >= record.failuresExpireAt) {
    record.failures = 0;
    record.failuresExpireAt = 0;
  }
  if (!record.permanent && record.lockedUntil > 0 && now >= record.lockedUntil) {
    record.lockedUntil = 0;
    record.lockTicket = '';
  }
  // Attempts taken back during a lock that has ended (see takeBack): there is no lock left to take back.
  if (record.failures < 0 && !record.permanent && record.lockedUntil === 0) record.failures = 0;
  if (record.lockCount > 0 && now >= record.lockCountExpiresAt) {
    record.lockCount = 0;
    record.lockCountExpiresAt = 0;
  }
  if (record.digests.some((entry) => entry.expiresAt <= now)) record.digests = record.digests.filter((entry) => entry.expiresAt > now);
  return record;
}

/** When the record holds nothing any more and can be dropped; Infinity for a permanent lock. */
export function recordExpiresAt(record: LockoutRecord): number {
  if (record.permanent) return Number.POSITIVE_INFINITY;
  let until = Math.max(record.failuresExpireAt, record.lockedUntil, record.lockCountExpiresAt);
  for (const entry of record.digests) until = Math.max(until, entry.expiresAt);
  return until;
}

export function isEmpty(record: LockoutRecord): boolean {
  return (
    record.failures === 0 && record.lockedUntil === 0 && !record.permanent && record.lockCount === 0 && record.digests.length === 0
  );
}

export function isLocked(record: LockoutRecord, now: number): boolean {
  return record.permanent || record.lockedUntil > now;
}

/** Length of the n-th lock (n >= 1): base x factor^(n-1), capped at max. */
export function lockDuration(lock: LockoutTarget['lock'], n: number): number {
  return Math.min(lock.maxMs, Math.round(lock.baseMs * lock.factor ** (n - 1)));
}

/** Records handed out by `load` that the store does not hold yet; `save` adds them. */
const fresh = new WeakSet<LockoutRecord>();

function load(access: RecordAccess, target: LockoutTarget, now: number): LockoutRecord {
  const stored = access.get(target.key);
  if (stored) return refresh(stored, now);
  const record = emptyRecord(target);
  fresh.add(record);
  return record;
}

function save(access: RecordAccess, key: string, record: LockoutRecord): void {
  if (fresh.has(record)) {
    fresh.delete(record);
    if (!isEmpty(record)) access.add(key, record);
  } else if (isEmpty(record)) {
    access.delete(key);
  }
}

/**
 * Reserve-then-verify, in one atomic step:
 * 1. any target locked -> refused (nothing counted while locked, as Keycloak does);
 * 2. the digest repeats a remembered wrong attempt -> allowed, not counted;
 * 3. otherwise the attempt counts as a failure now, before the password is checked, so parallel guesses
 *    see each other; the threshold-th one sets the lock (and is itself still checked). Success or cancel
 *    takes it back later. Counting up front is also what makes a wrong password cost one store call.
 */
export function applyReserve(access: RecordAccess, request: ReserveRequest): ReserveResult {
  const { now, targets } = request;
  const records: LockoutRecord[] = [];
  for (const target of targets) records.push(load(access, target, now));

  let refusal: Extract<ReserveResult, { allowed: false }> | undefined;
  for (let index = 0; index < records.length; index++) {
    const record = records[index];
    if (!record || !isLocked(record, now)) continue;
    const retryAfterMs = record.permanent ? Number.POSITIVE_INFINITY : record.lockedUntil - now;
    if (!refusal || retryAfterMs > refusal.retryAfterMs) {
      refusal = { allowed: false, scope: targets[index]?.scope ?? 'account', retryAfterMs, permanent: record.permanent };
    }
  }
  if (refusal) {
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      const target = targets[index];
      if (record && target) save(access, target.key, record);
    }
    return refusal;
  }

  const account = records[0];
  const digest = request.attemptDigest;
  if (account && digest !== undefined && account.digests.some((entry) => entry.digest === digest)) {
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      const target = targets[index];
      if (record && target) save(access, target.key, record);
    }
    return { allowed: true, counted: false };
  }

  for (let index = 0; index < records.length; index++) {
    const record = records[index];
    const target = targets[index];
    if (!record || !target) continue;
    record.label = target.label;
    record.failures += 1;
    record.failuresExpireAt = now + target.windowMs;
    if (record.failures >= target.threshold) {
      record.lockCount += 1;
      record.lockCountExpiresAt = now + target.lock.memoryMs;
      record.failures = 0;
      record.failuresExpireAt = 0;
      record.lockTicket = request.ticket;
      if (target.lock.permanentAfter > 0 && record.lockCount >= target.lock.permanentAfter) {
        record.permanent = true;
        record.lockedUntil = 0;
      } else {
        record.lockedUntil = now + lockDuration(target.lock, record.lockCount);
      }
    }
    if (index === 0 && digest !== undefined) remember(record, digest, request.repeat, now);
    save(access, target.key, record);
  }
  return { allowed: true, counted: true };
}

function remember(account: LockoutRecord, digest: string, repeat: ReserveRequest['repeat'], now: number): void {
  if (repeat.remember <= 0) return;
  const kept: RecentDigest[] = [];
  const old = account.digests;
  // Newest last; keep at most `remember - 1` of the old ones, then this one.
  for (let i = Math.max(0, old.length - (repeat.remember - 1)); i < old.length; i++) {
    const entry = old[i];
    if (entry && entry.digest !== digest) kept.push(entry);
  }
  kept.push({ digest, expiresAt: now + repeat.ttlMs });
  account.digests = kept;
}

/** Takes one counted attempt back from a record: the inverse of step 3 of applyReserve. */
function takeBack(record: LockoutRecord, target: LockoutTarget, ticket: string, now: number): void {
  if (record.lockTicket === ticket && (record.permanent || record.lockedUntil > 0)) {
    // This attempt set the lock: undo the lock and restore the count it reset.
    record.permanent = false;
    record.lockedUntil = 0;
    record.lockTicket = '';
    record.lockCount = Math.max(0, record.lockCount - 1);
    if (record.lockCount === 0) record.lockCountExpiresAt = 0;
    // Less those of them already taken back while the lock held (a negative count, below).
    record.failures = Math.max(0, target.threshold - 1 + Math.min(0, record.failures));
    record.failuresExpireAt = record.failures > 0 ? now + target.windowMs : 0;
    return;
  }
  if (record.failures <= 0 && record.lockTicket !== '' && (record.permanent || record.lockedUntil > 0)) {
    // Another attempt's lock holds, and nothing counts while locked: this attempt was one of the failures that
    // lock reset. Kept as a negative count (at most threshold - 1 of them), so that taking the lock back restores
    // one failure fewer: attempts taken back in any order leave nothing (a slow store's late cancels come in the
    // order their answers arrive).
    record.failures = Math.max(1 - target.threshold, record.failures - 1);
    return;
  }
  // Another attempt may have locked and reset the count since: never go below zero.
  record.failures = Math.max(0, record.failures - 1);
  if (record.failures === 0) record.failuresExpireAt = 0;
}

export function applySettle(access: RecordAccess, request: SettleRequest): void {
  const { now, targets, kind, ticket } = request;
  if (kind === 'failure') {
    // Only reached when the digest was not known at reserve time: a repeat is taken back, a new one remembered.
    const accountTarget = targets[0];
    const digest = request.attemptDigest;
    if (!accountTarget || digest === undefined || !request.counted) return;
    const account = load(access, accountTarget, now);
    if (account.digests.some((entry) => entry.digest === digest)) {
      settleEach(access, request, (record, target) => {
        takeBack(record, target, ticket, now);
      });
      return;
    }
    remember(account, digest, request.repeat, now);
    save(access, accountTarget.key, account);
    return;
  }
  settleEach(access, request, (record, target) => {
    if (kind === 'success' && target.scope !== 'ip') {
      // The password was right: the account's consecutive failures, growth and remembered digests reset. A lock
      // set by a parallel attempt stays unless this very attempt set it.
      if (record.lockTicket === ticket) {
        record.lockedUntil = 0;
        record.permanent = false;
        record.lockTicket = '';
      }
      record.failures = 0;
      record.failuresExpireAt = 0;
      record.lockCount = 0;
      record.lockCountExpiresAt = 0;
      record.digests = noDigests;
      return;
    }
    // cancel anywhere, and success on the IP scope (a right password is not a failure of that IP).
    if (request.counted) takeBack(record, target, ticket, now);
    if (kind === 'cancel' && request.attemptDigest !== undefined && request.counted) {
      const digest = request.attemptDigest;
      record.digests = record.digests.filter((entry) => entry.digest !== digest);
    }
  });
}

function settleEach(access: RecordAccess, request: SettleRequest, change: (record: LockoutRecord, target: LockoutTarget) => void): void {
  for (const target of request.targets) {
    if (!access.get(target.key)) continue;
    const record = load(access, target, request.now);
    change(record, target);
    save(access, target.key, record);
  }
}

export function statusOf(record: LockoutRecord, now: number): LockoutKeyStatus {
  const current = refresh({ ...record, digests: [...record.digests] }, now);
  return {
    scope: current.scope,
    label: current.label,
    failures: Math.max(0, current.failures),
    lockCount: current.lockCount,
    lockedUntil: current.permanent ? 0 : current.lockedUntil,
    permanent: current.permanent,
  };
}
