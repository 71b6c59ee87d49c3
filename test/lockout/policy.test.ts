import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import { isLegacyIdpError } from '../../src/core/errors.js';
import type { LogFields, Logger } from '../../src/core/logger.js';
import { normalizeClientIp } from '../../src/lockout/client-ip.js';
import { attemptHmacKey, createAttemptHmac, createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryLockoutStore } from '../../src/lockout/stores/memory.js';
import type { LockoutStore } from '../../src/lockout/types.js';
import { memoryUserStore } from '../../src/stores/memory/index.js';

function capturingLogger(): Logger & { lines: { level: string; message: string; fields: LogFields | undefined }[] } {
  const lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A store in the given state of failure: the policy's failure modes are about what it does then. */
function brokenStore(mode: 'throw' | 'hang'): LockoutStore & { healthy: boolean; inner: LockoutStore } {
  const inner = memoryLockoutStore({ sweepIntervalMs: 0 });
  const state = { healthy: false };
  const guard =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (state.healthy) return operation(...args);
      return mode === 'throw' ? Promise.reject(new Error('connection refused')) : new Promise<R>(() => undefined);
    };
  return {
    name: 'flaky',
    shared: true,
    get healthy() {
      return state.healthy;
    },
    set healthy(value: boolean) {
      state.healthy = value;
    },
    inner,
    reserve: guard((request) => Promise.resolve(inner.reserve(request))),
    settle: guard((request) => Promise.resolve(inner.settle(request))),
    status: guard((target, now) => inner.status(target, now)),
    unlock: guard((target, now) => inner.unlock(target, now)),
    listLocked: guard((options) => inner.listLocked(options)),
  };
}

describe('lockout policy: failure modes', () => {
  it('fail-closed (the default) refuses with a typed error within the store timeout, and recovers without restart', async () => {
    const store = brokenStore('hang');
    const logger = capturingLogger();
    const policy = createLockoutPolicy({ store, storeTimeoutMs: 100, logger, secret: 'a shared secret of 16+ bytes' });
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const error: unknown = await policy.begin({ account: 'alice' }).catch((caught: unknown) => caught);
      expect(isLegacyIdpError(error) && error.code).toBe('ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE');
      expect(performance.now() - started).toBeLessThan(2_000);
    }
    // One error line per outage, not one per attempt.
    expect(logger.lines.filter((line) => line.level === 'error')).toHaveLength(1);
    store.healthy = true;
    expect((await policy.begin({ account: 'alice' })).allowed).toBe(true);
    expect(logger.lines.some((line) => line.message === 'lockout store answers again')).toBe(true);
    await policy.close();
  });

  it('a store that fails and answers by turns logs one outage a minute, counting the ones in between', async () => {
    const store = brokenStore('throw');
    const logger = capturingLogger();
    let now = Date.UTC(2026, 0, 1);
    const policy = createLockoutPolicy({ store, failureMode: 'fail-open', logger, clock: () => now, ip: false });
    // A memory store full of locks refuses new names only: every other attempt fails.
    for (let i = 0; i < 20; i++) {
      store.healthy = i % 2 === 1;
      await policy.begin({ account: `name-${i}` });
      now += 1_000;
    }
    const outageLines = () => logger.lines.filter((line) => line.message === 'lockout store unavailable');
    expect(outageLines()).toHaveLength(1);
    expect(logger.lines.filter((line) => line.message === 'lockout store answers again')).toHaveLength(1);
    now += 60_000;
    store.healthy = false;
    await policy.begin({ account: 'later' });
    expect(outageLines()).toHaveLength(2);
    expect(outageLines()[1]?.fields).toMatchObject({ outagesNotLogged: 9 });
    await policy.close();
  });

  it('fail-open lets attempts through uncounted while the store is down', async () => {
    const store = brokenStore('throw');
    const policy = createLockoutPolicy({ store, failureMode: 'fail-open', account: { threshold: 1 } });
    for (let i = 0; i < 5; i++) {
      const decision = await policy.begin({ account: 'alice' });
      expect(decision.allowed).toBe(true);
      if (decision.allowed) await decision.ticket.failure();
    }
    store.healthy = true;
    expect(await policy.status({ account: 'alice' })).toBeNull();
    await policy.close();
  });

  it('a fallback store counts while the main one is down, and the ticket settles where it was reserved', async () => {
    const store = brokenStore('throw');
    const fallback = memoryLockoutStore({ sweepIntervalMs: 0 });
    const logger = capturingLogger();
    const policy = createLockoutPolicy({ store, failureMode: { fallback }, account: { threshold: 2 }, accountIp: false, ip: false, logger });
    expect(logger.lines[0]?.fields).toMatchObject({ store: 'flaky', failureMode: 'fallback to memory' });
    for (let i = 0; i < 2; i++) {
      const decision = await policy.begin({ account: 'alice' });
      if (decision.allowed) await decision.ticket.failure();
    }
    expect((await policy.begin({ account: 'alice' })).allowed).toBe(false);
    expect(fallback.size).toBe(1);
    store.healthy = true;
    // The main store never saw those attempts: it starts fresh.
    expect((await policy.begin({ account: 'alice' })).allowed).toBe(true);
    await policy.close();
  });

  it('an aborted signal ends the reservation with a deadline error, not a store outage', async () => {
    const policy = createLockoutPolicy({ store: brokenStore('hang'), storeTimeoutMs: 5_000 });
    const error: unknown = await policy.begin({ account: 'alice' }, { signal: AbortSignal.timeout(50) }).catch((caught: unknown) => caught);
    expect(isLegacyIdpError(error) && error.code).toBe('ERR_LEGACY_IDP_DEADLINE_EXCEEDED');
    await policy.close();
  });
});

describe('lockout policy: options and digests', () => {
  it.each([
    [{ account: { threshold: 101 } }, 'account.threshold'],
    [{ account: { threshold: 0 } }, 'account.threshold'],
    [{ lock: { baseSeconds: 600, maxSeconds: 60 } }, 'lock'],
    [{ secret: 'short' }, 'secret'],
    [{ failureMode: 'fail-sometimes' }, 'failureMode'],
    [{ acount: {} }, 'acount'],
  ])('refuses %o naming %s', (options, path) => {
    let caught: unknown;
    try {
      createLockoutPolicy(options as never);
    } catch (error) {
      caught = error;
    }
    expect(isLegacyIdpError(caught) && caught.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect((caught as Error).message).toContain(path);
  });

  it('digests are keyed by the secret, depend on account and password, and never contain the password', () => {
    const secret = 'one secret shared by every instance';
    const a = createLockoutPolicy({ secret });
    const b = createLockoutPolicy({ secret });
    const other = createLockoutPolicy({ secret: 'another secret, also long enough' });
    const digest = a.digestAttempt('alice', 'Wonderland-2024');
    expect(b.digestAttempt('alice', 'Wonderland-2024')).toBe(digest);
    expect(other.digestAttempt('alice', 'Wonderland-2024')).not.toBe(digest);
    expect(a.digestAttempt('alice', 'Wonderland-2025')).not.toBe(digest);
    expect(a.digestAttempt('bob', 'Wonderland-2024')).not.toBe(digest);
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(a.digestAttempt('ab', 'c')).not.toBe(a.digestAttempt('a', 'bc'));
    expect(digest).not.toContain('Wonderland');
    expect(digest).toMatch(/^[\w-]{22}$/u);
  });

  it('the attempt digest is HMAC-SHA256 under the derived key, for any message', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.oneof(fc.string({ minLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 100 })), (message, secret) => {
        const expected = createHmac('sha256', attemptHmacKey(secret)).update(message).digest('base64url').slice(0, 22);
        expect(createAttemptHmac(secret)(message)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('begin({ password }) takes the digest itself: a retyped wrong password is not counted twice', async () => {
    const policy = createLockoutPolicy({ account: { threshold: 2 } });
    for (let i = 0; i < 5; i++) {
      const decision = await policy.begin({ account: 'alice' }, { password: 'same typo' });
      expect(decision.allowed).toBe(true);
      if (decision.allowed) await decision.ticket.failure();
    }
    expect((await policy.status({ account: 'alice' }))?.failures).toBe(1);
    await policy.close();
  });

  it('account and IP texts with NUL in them cannot share another pair\'s key or digest', async () => {
    const policy = createLockoutPolicy({ account: { threshold: 50 }, accountIp: { threshold: 1 }, ip: false });
    const first = await policy.begin({ account: 'a\0b', clientIp: 'c' });
    if (first.allowed) await first.ticket.failure();
    expect((await policy.begin({ account: 'a\0b', clientIp: 'c' })).allowed).toBe(false);
    expect((await policy.begin({ account: 'a', clientIp: 'b\0c' })).allowed).toBe(true);
    expect(policy.digestAttempt('a\0b', 'c')).not.toBe(policy.digestAttempt('a', 'b\0c'));
    await policy.close();
  });

  it('warns when a shared store runs without a shared secret', () => {
    const logger = capturingLogger();
    createLockoutPolicy({ store: brokenStore('throw'), logger });
    expect(logger.lines.some((line) => line.level === 'warn' && line.message.includes('no secret'))).toBe(true);
  });

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    [' 192.0.2.1 ', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['0:0:0:0:0:ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::99', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['not an ip', 'not an ip'],
    ['x'.repeat(200), 'x'.repeat(64)],
  ])('client IP %s is keyed as %s', (input, expected) => {
    expect(normalizeClientIp(input)).toBe(expected);
  });
});

describe('lockout policy in the Authenticator', () => {
  async function setUp(clientIp?: string) {
    const users = await memoryUserStore({ users: [{ username: 'alice', password: 'Wonderland-2024' }] });
    const policy = createLockoutPolicy({ account: { threshold: 3 }, secret: 'sixteen bytes at least' });
    const auth = createAuthenticator({ verifier: users, lockout: policy });
    const attempt = (username: string, password: string) => auth.authenticate({ username, password, ...(clientIp === undefined ? {} : { clientIp }) });
    return { policy, attempt };
  }

  it('locks after the threshold of wrong passwords; the right password is then refused too, without a check', async () => {
    const { policy, attempt } = await setUp('198.51.100.4');
    for (const guess of ['one', 'two', 'three']) expect((await attempt('alice', guess)).outcome.status).toBe('invalid');
    const locked = await attempt('alice', 'Wonderland-2024');
    expect(locked.outcome).toMatchObject({ status: 'locked', by: 'lockout_policy', retryAfter: 60 });
    expect(JSON.stringify(await policy.listLocked())).not.toContain('Wonderland');
    await policy.close();
  });

  it('an unknown user is locked after the same number of attempts as a known one', async () => {
    const { policy, attempt } = await setUp();
    for (const guess of ['one', 'two', 'three']) expect((await attempt('mallory', guess)).outcome.status).toBe('unknown_user');
    expect((await attempt('mallory', 'four')).outcome.status).toBe('locked');
    await policy.close();
  });

  it('retyping the same wrong password does not lock; the right one still works and resets', async () => {
    const { policy, attempt } = await setUp();
    for (let i = 0; i < 10; i++) expect((await attempt('alice', 'wonderland-2024')).outcome.status).toBe('invalid');
    expect((await attempt('alice', 'Wonderland-2024')).outcome.status).toBe('valid');
    expect((await policy.status({ account: 'alice' }))?.failures ?? 0).toBe(0);
    await policy.close();
  });

  it('case and spacing variants of a username share one counter (the Authenticator normalizes first)', async () => {
    const { policy, attempt } = await setUp();
    for (const name of ['Alice', ' alice ', 'ALICE']) await attempt(name, `guess ${name}`);
    expect((await attempt('alice', 'Wonderland-2024')).outcome.status).toBe('locked');
    await policy.close();
  });
});
