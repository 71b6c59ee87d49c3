import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, type Authenticator } from '../../src/core/authenticator.js';
import type { CredentialVerifier, UserStore } from '../../src/core/contracts.js';
import { createLockoutPolicy, type LockoutPolicyOptions } from '../../src/lockout/policy.js';
import { memoryLockoutStore } from '../../src/lockout/stores/memory.js';
import { redisLockoutStore } from '../../src/lockout/stores/redis.js';
import type { LockoutStore } from '../../src/lockout/types.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';
import { createRedisKeyPrefix, describeWithService, type RedisKeyPrefix } from '../harness/services.js';

/**
 * A wrong password for a user who exists must cost the lockout store exactly what a name that does not exist
 * costs. The second reservation, on the account the store found, used to happen only when the verifier named
 * one: on Redis one round trip more for a known user (+0.5 ms on loopback, a network round trip elsewhere),
 * which told which usernames exist. A failure that names no account now reserves on the typed name's stand-in.
 */

const users = [
  { username: 'alice', password: 'Wonderland-2024', email: 'alice@example.org' },
  { username: 'dave', password: 'Disabled-2024', state: 'disabled' as const },
];

/** A real memory lockout store, with every call it gets written down. */
function countingStore(inner: LockoutStore = memoryLockoutStore()): { store: LockoutStore; calls: string[] } {
  const calls: string[] = [];
  const store: LockoutStore = {
    ...inner,
    name: 'counting-memory',
    reserve: (request) => {
      calls.push('reserve');
      return inner.reserve(request);
    },
    settle: (request) => {
      calls.push(`settle:${request.kind}`);
      return inner.settle(request);
    },
  };
  return { store, calls };
}

/** The store as is, with a wrong password's subjectId left out (as a DN-template LDAP bind answers). */
function withoutSubjectOnWrongPassword(store: UserStore): CredentialVerifier {
  return {
    name: 'no-subject-on-wrong-password',
    ...(store.dummyVerify ? { dummyVerify: store.dummyVerify.bind(store) } : {}),
    async verify(input) {
      const outcome = await store.verify(input);
      if (outcome.status !== 'invalid') return outcome;
      const { subjectId: _dropped, ...rest } = outcome;
      return rest;
    },
  };
}

let userStore: UserStore;
beforeAll(async () => {
  userStore = await memoryUserStore({ scryptCost: 2 ** 10, users });
});
afterAll(async () => {
  await userStore.close?.();
});

function authenticatorOn(store: LockoutStore, verifier: CredentialVerifier = userStore, options: LockoutPolicyOptions = {}): Authenticator {
  return createAuthenticator({ verifier, lockout: createLockoutPolicy({ secret: 's'.repeat(32), store, ...options }) });
}

describe('Authenticator: every failure costs the lockout store the same calls, whether the name exists or not', () => {
  it.each([
    ['with a client IP', { clientIp: '203.0.113.5' }],
    ['without a client IP', {}],
  ])('memory store, %s: known user + wrong password, unknown user, unattributed wrong password and disabled user alike', async (_label, extra) => {
    const { store, calls } = countingStore();
    const authenticator = authenticatorOn(store);
    const unattributed = authenticatorOn(store, withoutSubjectOnWrongPassword(userStore));
    const cost = async (auth: Authenticator, username: string, password: string): Promise<[string, string[]]> => {
      calls.length = 0;
      const { outcome } = await auth.authenticate({ username, password, ...extra });
      return [outcome.status, [...calls]];
    };
    const known = await cost(authenticator, 'alice', 'wrong-1');
    const unknown = await cost(authenticator, 'ghost', 'wrong-1');
    const noSubject = await cost(unattributed, 'alice', 'wrong-2');
    const disabled = await cost(authenticator, 'dave', 'Disabled-2024');
    expect(known).toEqual(['invalid', ['reserve', 'reserve']]);
    expect(unknown).toEqual(['unknown_user', known[1]]);
    expect(noSubject).toEqual(['invalid', known[1]]);
    expect(disabled).toEqual(['disabled', known[1]]);
    // A repeated wrong password (B2C's retry) is recognized on both keys: still the same calls.
    expect((await cost(authenticator, 'alice', 'wrong-1'))[1]).toEqual((await cost(authenticator, 'ghost', 'wrong-1'))[1]);
  });

  it("counts a stand-in account for the typed name, and its lock never answers: the typed name's key alone says locked", async () => {
    const store = memoryLockoutStore();
    const policy = { account: { threshold: 3, windowSeconds: 600 }, ip: false } as const;
    const lockout = createLockoutPolicy({ secret: 's'.repeat(32), store, ...policy });
    // Wrong passwords name no account, right ones do: a success resets the typed name's key, not the stand-in.
    const authenticator = createAuthenticator({ verifier: withoutSubjectOnWrongPassword(userStore), lockout });
    const attempt = async (password: string) => (await authenticator.authenticate({ username: 'alice', password })).outcome.status;
    expect([await attempt('wrong-1'), await attempt('wrong-2'), await attempt('Wonderland-2024'), await attempt('wrong-3')]).toEqual(['invalid', 'invalid', 'valid', 'invalid']);
    // The stand-in has seen three failures and is locked; the typed name has seen one since the success.
    const locked = await lockout.listLocked();
    expect(locked.items).toHaveLength(1);
    expect(locked.items[0]?.label.startsWith('\u001fsubject:\u001fname:')).toBe(true);
    expect(await attempt('wrong-4')).toBe('invalid');
    expect(await attempt('wrong-5')).toBe('invalid');
    // The third failure since the success locks the typed name: then, and only then, the answer is locked.
    expect(await attempt('wrong-6')).toBe('locked');
  });

  it('an unknown name locks on its own key as before; unlocking that key lets it be tried again, whatever the stand-in holds', async () => {
    const lockout = createLockoutPolicy({ secret: 's'.repeat(32), store: memoryLockoutStore(), account: { threshold: 3, windowSeconds: 600 }, ip: false });
    const authenticator = createAuthenticator({ verifier: userStore, lockout });
    const attempt = async (password: string) => (await authenticator.authenticate({ username: 'ghost', password })).outcome.status;
    expect([await attempt('a-1'), await attempt('a-2'), await attempt('a-3'), await attempt('a-4')]).toEqual(['unknown_user', 'unknown_user', 'unknown_user', 'locked']);
    expect(await lockout.unlock({ account: 'ghost' })).toBe(true);
    expect(await attempt('a-5')).toBe('unknown_user');
  });

  it("answers unavailable/lockout_store when the stand-in's reservation fails, as for the found account's, and takes the attempt back", async () => {
    const inner = memoryLockoutStore();
    const failing: LockoutStore = {
      ...inner,
      name: 'fails-on-stand-in',
      reserve: (request) => {
        if (request.targets[0]?.key.includes('\u001fname:') === true) throw new Error('store down');
        return inner.reserve(request);
      },
      settle: (request) => inner.settle(request),
    };
    const lockout = createLockoutPolicy({ secret: 's'.repeat(32), store: failing, ip: false });
    const { outcome } = await createAuthenticator({ verifier: userStore, lockout }).authenticate({ username: 'ghost', password: 'wrong-1' });
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'lockout_store' });
    expect(await lockout.status({ account: 'ghost' })).toBeNull();
  });
});

describeWithService('redis', 'Authenticator on the Redis lockout store: the same round trips for known and unknown names', () => {
  let prefix: RedisKeyPrefix;
  let client: Redis;
  let monitor: Redis;
  const seen: string[][] = [];

  beforeAll(async () => {
    prefix = createRedisKeyPrefix();
    client = new Redis(prefix.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    // MONITOR sees every command the server runs; ours are the ones touching this run's key prefix.
    monitor = await client.monitor();
    // Commands a script runs show too, from source "lua": only the ones sent over the wire are round trips.
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') seen.push(args);
    });
  });
  afterAll(async () => {
    monitor.disconnect();
    await prefix.cleanup();
    await client.quit();
  });

  /** Waits until MONITOR has shown everything sent so far (a marker sent last), and returns where that is in `seen`. */
  async function caughtUp(): Promise<number> {
    const marker = `marker-${Math.random()}`;
    await client.echo(marker);
    for (let waited = 0; ; waited += 10) {
      const at = seen.findIndex((args) => args.includes(marker));
      if (at >= 0) return at + 1;
      if (waited > 5_000) throw new Error('MONITOR never showed the marker');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The commands sent for this prefix's keys from `start` until now. */
  async function commandsSince(start: number): Promise<string[]> {
    const end = await caughtUp();
    return seen
      .slice(start, end)
      .filter((args) => args.some((arg) => arg.startsWith(prefix.prefix)))
      .map((args) => args[0]?.toLowerCase() ?? '');
  }

  it('known user + wrong password and unknown user send the same commands', async () => {
    const authenticator = createAuthenticator({
      verifier: userStore,
      lockout: createLockoutPolicy({ secret: 's'.repeat(32), store: redisLockoutStore({ client, keyPrefix: prefix.prefix }) }),
    });
    await authenticator.authenticate({ username: 'warm-up', password: 'x-1' });
    const cost = async (username: string, password: string): Promise<[string, string[]]> => {
      const start = await caughtUp();
      const { outcome } = await authenticator.authenticate({ username, password, clientIp: '198.51.100.7' });
      return [outcome.status, await commandsSince(start)];
    };
    const known = await cost('alice', 'wrong-1');
    const unknown = await cost('ghost', 'wrong-1');
    expect(known[0]).toBe('invalid');
    expect(unknown[0]).toBe('unknown_user');
    expect(known[1]).toEqual(['evalsha', 'evalsha']);
    expect(unknown[1]).toEqual(known[1]);
    expect((await cost('bob-does-not-exist', 'wrong-2'))[1]).toEqual((await cost('alice', 'wrong-2'))[1]);
  });
});
