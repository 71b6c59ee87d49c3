// The lockout on a Redis that answers late: a sign-in whose deadline passes while Redis reserves or settles its
// attempt. A private redis-server, reached directly or through a TCP proxy that holds every reply back (a slow
// network or a busy Redis), or frozen with SIGSTOP. The answer keeps the caller's deadline, and what Redis does
// after the caller gave up is taken back: "deadline exceeded" never counts against the user.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { CredentialVerifier } from '../../src/core/contracts.js';
import { subjectLockoutAccount } from '../../src/core/lockout.js';
import type { LogFields, Logger } from '../../src/core/logger.js';
import { createLockoutPolicy, type ConfiguredLockoutPolicy, type LockoutPolicyOptions } from '../../src/lockout/policy.js';
import { redisLockoutStore } from '../../src/lockout/stores/redis.js';
import type { LockoutStore, MaybePromise } from '../../src/lockout/types.js';
import { memoryUserStore } from '../../src/stores/memory/index.js';
import { freezeProcess, listenTcp } from '../harness/process.js';
import { describeWithService, startRedisServer, type RedisServerInstance } from '../harness/services.js';

const PASSWORD = 'Wonderland-2024';
const secret = 'sixteen bytes at least';

/** A TCP proxy in front of Redis that delays each reply by `delayMs` (requests pass at once). */
async function slowProxy(targetPort: number): Promise<{ port: number; delayMs: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy = {
    port: 0,
    delayMs: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    // One timer per chunk with the same delay keeps the replies in order.
    upstream.on('data', (chunk) => setTimeout(() => client.write(chunk), proxy.delayMs));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  proxy.port = await listenTcp(server, 0);
  return proxy;
}

/**
 * The real store, with every call it has not answered yet in view: `quiet()` returns once Redis has answered all
 * of them, those the policy and the Authenticator make in the background included (taking an attempt back).
 */
function watched(store: LockoutStore): { store: LockoutStore; quiet(): Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  const track = <T>(answer: MaybePromise<T>): MaybePromise<T> => {
    if (answer instanceof Promise) {
      pending.add(answer);
      const forget = (): void => {
        pending.delete(answer);
      };
      answer.then(forget, forget);
    }
    return answer;
  };
  return {
    store: { ...store, reserve: (request) => track(store.reserve(request)), settle: (request) => track(store.settle(request)) },
    async quiet() {
      while (pending.size > 0) {
        await Promise.allSettled([...pending]);
        // A late answer's take-back starts in a callback of that answer: let it be made before looking again.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

function capturingLogger(): Logger & { messages: string[] } {
  const messages: string[] = [];
  const at = (message: string, _fields?: LogFields): void => {
    messages.push(message);
  };
  return { messages, debug: at, info: at, warn: at, error: at };
}

describeWithService('redis-server', 'lockout on a Redis slower than the sign-in deadline', () => {
  let server: RedisServerInstance;
  const cleanups: (() => Promise<void>)[] = [];
  let run = 0;

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    // A frozen server is thawed whatever the test did.
    process.kill(server.pid, 'SIGCONT');
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await server.stop();
  });

  function policyOn(port: number, options: Omit<LockoutPolicyOptions, 'store'>): { policy: ConfiguredLockoutPolicy; quiet(): Promise<void> } {
    const { store, quiet } = watched(redisLockoutStore({ connection: `redis://127.0.0.1:${port}/0`, keyPrefix: `deadline-${++run}:` }));
    const policy = createLockoutPolicy({ store, secret, ip: false, account: { threshold: 3 }, ...options });
    cleanups.push(() => policy.close());
    return { policy, quiet };
  }

  it('sign-ins whose deadline passes while Redis reserves are not counted, though Redis answers them later', async () => {
    const proxy = await slowProxy(server.port);
    cleanups.push(() => proxy.close());
    // The store would wait 10 s: only the deadline (100 ms) gives up, well before Redis answers (400 ms).
    const { policy, quiet } = policyOn(proxy.port, { storeTimeoutMs: 10_000 });
    const users = await memoryUserStore({ users: [{ username: 'alice', password: PASSWORD, subjectId: 'u-1' }] });
    let checks = 0;
    const verifier: CredentialVerifier = {
      name: 'counting',
      verify: (input) => {
        checks++;
        return users.verify(input);
      },
    };
    const auth = createAuthenticator({ verifier, lockout: policy });
    await policy.status({ account: 'warm-up' });

    proxy.delayMs = 400;
    const signIn = async (username: string, password: string): Promise<void> => {
      const { outcome } = await auth.authenticate({ username, password, deadline: 100 });
      expect(outcome).toMatchObject({ status: 'unavailable', reason: 'deadline' });
    };
    // Below the threshold (3) for bob; beyond it for alice, as a user retrying "try again" would.
    for (let i = 0; i < 2; i++) await signIn('bob', `typo ${i}`);
    for (let i = 0; i < 5; i++) await signIn('alice', `typo ${i}`);
    expect(checks).toBe(0);
    // Redis counted each attempt (and locked alice) by now; each is taken back once its answer is in.
    await quiet();
    proxy.delayMs = 0;
    expect(await policy.status({ account: 'bob' })).toBeNull();
    // alice's lock is undone too, with the count it reset, though the attempt that set it was taken back last.
    expect(await policy.status({ account: 'alice' })).toBeNull();
    expect((await auth.authenticate({ username: 'alice', password: PASSWORD })).outcome.status).toBe('valid');
  });

  it('a Redis that hangs after the reservation does not hold the answer past the deadline; the attempt is settled once it thaws', async () => {
    const logger = capturingLogger();
    const { policy, quiet } = policyOn(server.port, { storeTimeoutMs: 5_000, logger });
    const users = await memoryUserStore({ users: [{ username: 'alice', password: PASSWORD, subjectId: 'u-1' }] });
    // Redis freezes while the password is checked: the account's reservation (after the check) and the settling
    // of the typed name's attempt both wait for it.
    const verifier: CredentialVerifier = {
      name: 'freezing',
      verify: async (input) => {
        const outcome = await users.verify(input);
        await freezeProcess(server.pid);
        return outcome;
      },
    };
    const auth = createAuthenticator({ verifier, lockout: policy, logger });
    await policy.status({ account: 'warm-up' });

    const { outcome } = await auth.authenticate({ username: 'alice', password: PASSWORD, deadline: 1_500 });
    // Before the fix the answer came only once the policy gave up on the settle (storeTimeoutMs, 5 s), logged as
    // a failure to record the attempt; now it comes at the deadline, with the settle still under way.
    const loggedBeforeAnswer = [...logger.messages];
    process.kill(server.pid, 'SIGCONT');
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'deadline' });
    expect(loggedBeforeAnswer).not.toContain('lockout store failed while recording an attempt');

    await quiet();
    // Thawed, Redis ran everything it had been sent: the typed name's attempt was cancelled, and the account's
    // reservation, made after the deadline, was taken back.
    expect(await policy.status({ account: 'alice' })).toBeNull();
    expect(await policy.status({ account: subjectLockoutAccount('u-1') })).toBeNull();
    expect(logger.messages.filter((message) => message.startsWith('lockout store failed'))).toEqual([]);
  });
});
