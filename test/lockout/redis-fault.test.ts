// The Redis store when Redis goes away: a private redis-server is stopped mid-test (and frozen with SIGSTOP for
// the timeout path), every begin() answers within about storeTimeoutMs by the policy's failure mode, and after a
// restart on the same port the SAME policy and store work again (ioredis reconnects on its own).
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { createLockoutPolicy, type ConfiguredLockoutPolicy, type LockoutPolicyOptions } from '../../src/lockout/policy.js';
import { memoryLockoutStore } from '../../src/lockout/stores/memory.js';
import { redisLockoutStore } from '../../src/lockout/stores/redis.js';
import { describeWithService, startRedisServer, type RedisServerInstance } from '../harness/services.js';
import { freezeProcess } from '../harness/process.js';

const storeTimeoutMs = 300;
/** What "within about the timeout" allows on a loaded 2-core machine. */
const answerWithinMs = storeTimeoutMs + 400;

describeWithService('redis-server', 'redis lockout store: Redis down, frozen, back', () => {
  let server: RedisServerInstance;
  let port: number;
  const policies: ConfiguredLockoutPolicy[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    port = server.port;
  });
  afterEach(async () => {
    for (const policy of policies.splice(0)) await policy.close();
    // Every case starts with the server up.
    if (!serverRunning()) server = await startRedisServer({ port });
  });
  afterAll(async () => {
    await server.stop();
  });

  function serverRunning(): boolean {
    try {
      process.kill(server.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  function policyWith(options: Omit<LockoutPolicyOptions, 'store' | 'storeTimeoutMs'>): ConfiguredLockoutPolicy {
    const store = redisLockoutStore({ connection: `redis://127.0.0.1:${port}/0`, keyPrefix: 'fault:' });
    const policy = createLockoutPolicy({ store, storeTimeoutMs, ip: false, account: { threshold: 3 }, ...options });
    policies.push(policy);
    return policy;
  }

  /** begin() with its duration; an error is returned, not thrown. */
  async function timedBegin(policy: ConfiguredLockoutPolicy, account: string): Promise<{ ms: number; allowed?: boolean; error?: unknown }> {
    const started = performance.now();
    try {
      const decision = await policy.begin({ account });
      if (decision.allowed) await decision.ticket.failure();
      return { ms: performance.now() - started, allowed: decision.allowed };
    } catch (error) {
      return { ms: performance.now() - started, error };
    }
  }

  /**
   * Restarts the server on the same port and waits until `policy` (the same instance) counts in Redis again;
   * returns the failures counted for `account` by then.
   */
  async function restartAndRecover(policy: ConfiguredLockoutPolicy, account: string): Promise<number> {
    server = await startRedisServer({ port });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const result = await timedBegin(policy, account);
      const failures = result.error === undefined ? await policy.status({ account }).then((status) => status?.failures ?? 0, () => 0) : 0;
      if (failures > 0) return failures;
      if (Date.now() > deadline) throw new Error(`the store did not recover: ${String(result.error)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('fail-closed: while Redis is down every begin rejects with ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE, fast; then it recovers', async () => {
    const policy = policyWith({ failureMode: 'fail-closed' });
    expect((await timedBegin(policy, 'before')).allowed).toBe(true);
    await server.stop();
    for (let i = 0; i < 5; i++) {
      const result = await timedBegin(policy, 'alice');
      expect(isLegacyIdpError(result.error) && result.error.code).toBe('ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE');
      expect(result.ms).toBeLessThan(answerWithinMs);
    }
    const counted = await restartAndRecover(policy, 'after');
    // The new server is empty: counting starts again from there, and the lock still works through the same store.
    for (let i = counted; i < 3; i++) expect((await timedBegin(policy, 'after')).allowed).toBe(true);
    expect((await timedBegin(policy, 'after')).allowed).toBe(false);
  });

  it('fail-open: while Redis is down every begin is allowed, uncounted; then it recovers', async () => {
    const policy = policyWith({ failureMode: 'fail-open' });
    await server.stop();
    for (let i = 0; i < 6; i++) {
      const result = await timedBegin(policy, 'alice');
      expect(result.allowed, String(result.error)).toBe(true);
      expect(result.ms).toBeLessThan(answerWithinMs);
    }
    expect(await restartAndRecover(policy, 'alice')).toBe(1);
  });

  it('a store created while Redis is down fails fast, then connects once Redis is there', async () => {
    await server.stop();
    const policy = policyWith({ failureMode: 'fail-closed' });
    for (let i = 0; i < 3; i++) {
      const result = await timedBegin(policy, 'early');
      expect(isLegacyIdpError(result.error) && result.error.code).toBe('ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE');
      expect(result.ms).toBeLessThan(answerWithinMs);
    }
    expect(await restartAndRecover(policy, 'early')).toBe(1);
  });

  it('fallback: while Redis is down the memory store counts and locks; then Redis is used again', async () => {
    const fallback = memoryLockoutStore({ sweepIntervalMs: 0 });
    const policy = policyWith({ failureMode: { fallback } });
    await server.stop();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await timedBegin(policy, 'alice'));
    expect(results.map((result) => result.allowed)).toEqual([true, true, true, false]);
    for (const result of results) expect(result.ms).toBeLessThan(answerWithinMs);
    expect(fallback.size).toBe(1);
    expect(await restartAndRecover(policy, 'bob')).toBe(1);
    // Back on Redis: alice's lock lived in the fallback only.
    expect((await timedBegin(policy, 'alice')).allowed).toBe(true);
    expect((await policy.status({ account: 'alice' }))?.failures).toBe(1);
  });

  it('a frozen Redis (SIGSTOP) costs each begin the store timeout, not more; it answers again on SIGCONT', async () => {
    const policy = policyWith({ failureMode: 'fail-closed' });
    expect((await timedBegin(policy, 'warm')).allowed).toBe(true);
    await freezeProcess(server.pid);
    try {
      const results = await Promise.all(Array.from({ length: 3 }, (_, i) => timedBegin(policy, `frozen-${i}`)));
      for (const result of results) {
        expect(isLegacyIdpError(result.error) && result.error.code).toBe('ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE');
        expect(result.ms).toBeGreaterThanOrEqual(storeTimeoutMs - 20);
        expect(result.ms).toBeLessThan(answerWithinMs);
      }
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    expect((await timedBegin(policy, 'thawed')).allowed).toBe(true);
  });
});
