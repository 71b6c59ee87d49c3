import { describe, expect, it } from 'vitest';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryLockoutStore } from '../../src/lockout/stores/memory.js';
import { lockoutStoreConformance } from '../../src/testing/lockout-store.js';

describe('memory lockout store: conformance', () => {
  for (const c of lockoutStoreConformance({ createStore: () => memoryLockoutStore({ sweepIntervalMs: 0 }) })) it(c.name, c.run);
});

describe('memory lockout store: bounds', () => {
  it('never holds more than maxKeys, and a flood of new names does not evict a locked account', async () => {
    let now = Date.now();
    const store = memoryLockoutStore({ maxKeys: 50, sweepIntervalMs: 0 });
    const policy = createLockoutPolicy({ store, clock: () => now, accountIp: false, ip: false, account: { threshold: 2 } });
    for (let i = 0; i < 2; i++) {
      const decision = await policy.begin({ account: 'victim' });
      if (decision.allowed) await decision.ticket.failure();
    }
    for (let i = 0; i < 1000; i++) {
      const decision = await policy.begin({ account: `random-${i}` });
      if (decision.allowed) await decision.ticket.failure();
      expect(store.size).toBeLessThanOrEqual(50);
    }
    expect((await policy.begin({ account: 'victim' })).allowed).toBe(false);
    now += 25 * 3600 * 1000;
    expect(store.sweep(now)).toBe(50);
    expect(store.size).toBe(0);
    await policy.close();
  });

  it('sweep drops expired keys and keeps live ones', async () => {
    let now = Date.now();
    const store = memoryLockoutStore({ sweepIntervalMs: 0 });
    const policy = createLockoutPolicy({ store, clock: () => now, accountIp: false, ip: false, account: { threshold: 5, windowSeconds: 60 }, repeat: false });
    for (const name of ['a', 'b', 'c']) {
      const decision = await policy.begin({ account: name });
      if (decision.allowed) await decision.ticket.failure();
    }
    expect(store.size).toBe(3);
    now += 30_000;
    const decision = await policy.begin({ account: 'd' });
    if (decision.allowed) await decision.ticket.failure();
    now += 31_000;
    expect(store.sweep(now)).toBe(3);
    expect(store.size).toBe(1);
    await policy.close();
  });
});
