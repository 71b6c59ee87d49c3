import { describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { createLockoutPolicy, type ConfiguredLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryLockoutStore, type MemoryLockoutStore } from '../../src/lockout/stores/memory.js';

const hour = 3_600_000;

/** `count` wrong passwords for `account`; returns how many were let through to the check. */
async function guess(policy: ConfiguredLockoutPolicy, account: string, count: number, store?: MemoryLockoutStore, maxKeys = 0): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < count; i++) {
    const decision = await policy.begin({ account }, { password: `${account}-guess-${i}-${Math.random()}` });
    if (decision.allowed) {
      allowed++;
      await decision.ticket.failure();
    }
    if (store) expect(store.size).toBeLessThanOrEqual(maxKeys);
  }
  return allowed;
}

/** One wrong password for each of `count` made-up names, the cheapest flood there is. */
async function flood(policy: ConfiguredLockoutPolicy, prefix: string, count: number, store: MemoryLockoutStore, maxKeys: number): Promise<void> {
  for (let i = 0; i < count; i++) await guess(policy, `${prefix}-${i}`, 1, store, maxKeys);
}

describe('memory lockout store: a flood of made-up names at the bound', () => {
  it('keeps a victim\'s failure count (9 of 10) through 1,000 other names', async () => {
    const maxKeys = 1_000;
    const store = memoryLockoutStore({ maxKeys, sweepIntervalMs: 0 });
    const policy = createLockoutPolicy({ store, ip: false, secret: 'x'.repeat(32) });
    expect(await guess(policy, 'victim', 9)).toBe(9);
    await flood(policy, 'flood', 1_000, store, maxKeys);
    expect(await policy.status({ account: 'victim' })).toMatchObject({ failures: 9, locked: false });
    // Without the flood one more guess is checked, then the account locks; the flood must not change that.
    expect(await guess(policy, 'victim', 20)).toBe(1);
    await policy.close();
  });

  it('keeps a 4-hour lock behind a run of 32 other locked keys through 1,000 other names', async () => {
    const maxKeys = 1_000;
    const store = memoryLockoutStore({ maxKeys, sweepIntervalMs: 0 });
    const policy = createLockoutPolicy({ store, ip: false, secret: 'x'.repeat(32), lock: { baseSeconds: 14_400 } });
    for (let i = 0; i < 32; i++) await guess(policy, `decoy-${i}`, 1);
    await guess(policy, 'victim', 1);
    for (let i = 0; i < 32; i++) await guess(policy, `decoy-${i}`, 9);
    await guess(policy, 'victim', 9);
    expect(await policy.status({ account: 'victim' })).toMatchObject({ locked: true });
    await flood(policy, 'flood', 1_000, store, maxKeys);
    expect(await policy.status({ account: 'victim' })).toMatchObject({ locked: true, lockCount: 1, retryAfter: 14_400 });
    expect(await guess(policy, 'victim', 20)).toBe(0);
    // None of the 33 locks went, and the store still took every new name (none was refused).
    expect((await policy.listLocked({ limit: 1_000 })).items).toHaveLength(33);
    await policy.close();
  });

  it('keeps a victim\'s lock history after its lock ends, so the next lock is still longer', async () => {
    let now = Date.now();
    const maxKeys = 200;
    const store = memoryLockoutStore({ maxKeys, sweepIntervalMs: 0 });
    const policy = createLockoutPolicy({ store, clock: () => now, ip: false, repeat: false, account: { threshold: 3 }, lock: { baseSeconds: 60, factor: 2 } });
    expect(await guess(policy, 'victim', 5)).toBe(3);
    now += 61_000;
    await flood(policy, 'flood', 1_000, store, maxKeys);
    expect(await policy.status({ account: 'victim' })).toMatchObject({ locked: false, lockCount: 1 });
    expect(await guess(policy, 'victim', 5)).toBe(3);
    expect(await policy.status({ account: 'victim' })).toMatchObject({ locked: true, lockCount: 2, retryAfter: 120 });
    await policy.close();
  });
});

describe('memory lockout store: full of locked keys', () => {
  /** `maxKeys` names, each locked by its first wrong password (threshold 1) for an hour. */
  async function fullOfLocks(maxKeys: number) {
    let now = Date.now();
    const store = memoryLockoutStore({ maxKeys, sweepIntervalMs: 0 });
    const options = { store, clock: () => now, ip: false, repeat: false, account: { threshold: 1 }, lock: { baseSeconds: 3_600 } } as const;
    const policy = createLockoutPolicy(options);
    for (let i = 0; i < maxKeys; i++) await guess(policy, `locked-${i}`, 1, store, maxKeys);
    expect((await policy.listLocked({ limit: 1_000 })).items).toHaveLength(maxKeys);
    return { store, options, policy, advance: (ms: number) => (now += ms) };
  }

  it('refuses a new key as a store failure rather than evict a lock; fail-closed answers it as unavailable', async () => {
    const { store, policy, advance } = await fullOfLocks(40);
    const refusal = await policy.begin({ account: 'newcomer' }).catch((error: unknown) => error);
    expect(isLegacyIdpError(refusal, 'ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE')).toBe(true);
    expect(store.size).toBe(40);
    expect((await policy.listLocked({ limit: 1_000 })).items).toHaveLength(40);
    // A locked name still gets its lock (not a store failure): its refusal creates no key.
    expect(await policy.begin({ account: 'locked-7' })).toMatchObject({ allowed: false, scope: 'account' });
    // Once the locks end, their keys are the first to go.
    advance(hour + 1);
    expect((await policy.begin({ account: 'newcomer' })).allowed).toBe(true);
    expect(store.size).toBe(40);
    await policy.close();
  });

  it('leaves the answer to the failure mode: fail-open lets the attempt through uncounted, a fallback counts it', async () => {
    const { store, options, policy } = await fullOfLocks(40);
    const open = createLockoutPolicy({ ...options, failureMode: 'fail-open' });
    expect((await open.begin({ account: 'newcomer' })).allowed).toBe(true);
    const fallback = memoryLockoutStore({ sweepIntervalMs: 0 });
    const withFallback = createLockoutPolicy({ ...options, failureMode: { fallback } });
    expect((await withFallback.begin({ account: 'newcomer' })).allowed).toBe(true);
    expect(fallback.size).toBe(1);
    expect(store.size).toBe(40);
    await fallback.close?.();
    await policy.close();
  });

  it('steps past more than 32 locked keys to the unlocked ones behind them', async () => {
    const now = Date.now();
    const maxKeys = 300;
    const store = memoryLockoutStore({ maxKeys, sweepIntervalMs: 0 });
    const policy = createLockoutPolicy({ store, clock: () => now, ip: false, repeat: false, account: { threshold: 1 }, lock: { baseSeconds: 3_600 } });
    // 250 locks in a row at the old end, 50 one-failure names (below the threshold of a second policy) behind.
    for (let i = 0; i < 250; i++) await guess(policy, `locked-${i}`, 1);
    const lenient = createLockoutPolicy({ store, clock: () => now, ip: false, repeat: false, account: { threshold: 5 } });
    await flood(lenient, 'earlier', 50, store, maxKeys);
    await flood(lenient, 'later', 500, store, maxKeys);
    expect((await policy.listLocked({ limit: 1_000 })).items).toHaveLength(250);
    await policy.close();
  });
});
