import assert from 'node:assert/strict';
import type { LockoutDecision, LockoutTicket } from '../core/lockout.js';
import { createLockoutPolicy, type ConfiguredLockoutPolicy, type LockoutPolicyOptions } from '../lockout/policy.js';
import type { LockoutStore } from '../lockout/types.js';
import type { ConformanceCase } from './conformance.js';

export interface LockoutStoreConformanceOptions {
  /** A fresh, empty store for every case (a new key prefix or database for shared stores). */
  createStore: () => LockoutStore | Promise<LockoutStore>;
  /** Parallel reservations in the concurrency case. Default 200. */
  parallelAttempts?: number;
}

const second = 1000;

/** A clock the cases move by hand; it starts at the real time so stores that keep TTLs see sane values. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let now = Date.now();
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

function allowed(decision: LockoutDecision, what: string): LockoutTicket {
  assert.ok(decision.allowed, `${what}: expected the attempt to be allowed, got refused (${JSON.stringify(decision)})`);
  return decision.ticket;
}

function refused(decision: LockoutDecision, what: string): Extract<LockoutDecision, { allowed: false }> {
  assert.ok(!decision.allowed, `${what}: expected the attempt to be refused`);
  return decision;
}

/**
 * The shared suite every LockoutStore must pass: it drives the real policy with a hand-moved clock over the
 * store, so a store is held to the rules (thresholds, windows, growth, permanent locks, reset on success,
 * repeat dedupe, expiry, admin calls, atomic reservation), not to its own idea of them.
 */
export function lockoutStoreConformance(options: LockoutStoreConformanceOptions): ConformanceCase[] {
  const parallel = options.parallelAttempts ?? 200;

  async function withPolicy(
    policyOptions: Omit<LockoutPolicyOptions, 'store' | 'clock'>,
    use: (policy: ConfiguredLockoutPolicy, clock: ReturnType<typeof manualClock>) => Promise<void>,
  ): Promise<void> {
    const clock = manualClock();
    const store = await options.createStore();
    const policy = createLockoutPolicy({ accountIp: false, ip: false, ...policyOptions, store, clock: clock.now });
    try {
      await use(policy, clock);
    } finally {
      await policy.close();
    }
  }

  const small = { account: { threshold: 3, windowSeconds: 60 }, lock: { baseSeconds: 10, factor: 2, maxSeconds: 40, memorySeconds: 1000 } };

  async function fail(policy: ConfiguredLockoutPolicy, account: string, what: string, password = `wrong-${Math.random()}`, clientIp?: string): Promise<void> {
    const attemptDigest = policy.digestAttempt(account, password);
    const decision = await policy.begin(clientIp === undefined ? { account } : { account, clientIp }, { attemptDigest });
    await allowed(decision, what).failure({ attemptDigest });
  }

  return [
    {
      name: 'the threshold-th wrong attempt is still checked, the next is refused with retryAfter in seconds',
      run: () =>
        withPolicy(small, async (policy) => {
          for (let i = 1; i <= 3; i++) await fail(policy, 'alice', `attempt ${i}`);
          const decision = refused(await policy.begin({ account: 'alice' }), 'attempt 4');
          assert.equal(decision.scope, 'account');
          assert.equal(decision.retryAfter, 10);
          assert.notEqual(decision.permanent, true);
          // Another account is not affected.
          allowed(await policy.begin({ account: 'bob' }), 'bob');
        }),
    },
    {
      name: 'an unknown username locks exactly like a known one (the store never knows which is which)',
      run: () =>
        withPolicy(small, async (policy) => {
          for (const name of ['known-user', 'no-such-user-4711']) {
            for (let i = 1; i <= 3; i++) await fail(policy, name, `${name} attempt ${i}`);
            assert.equal(refused(await policy.begin({ account: name }), name).retryAfter, 10);
          }
        }),
    },
    {
      name: 'failures are forgotten one window after the last one',
      run: () =>
        withPolicy(small, async (policy, clock) => {
          await fail(policy, 'alice', 'first');
          await fail(policy, 'alice', 'second');
          clock.advance(59 * second);
          await fail(policy, 'alice', 'third, inside the window: locks');
          refused(await policy.begin({ account: 'alice' }), 'after three');
          clock.advance(10 * second);
          await fail(policy, 'carol', 'carol 1');
          await fail(policy, 'carol', 'carol 2');
          clock.advance(61 * second);
          await fail(policy, 'carol', 'carol 3, window passed');
          await fail(policy, 'carol', 'carol 4');
          allowed(await policy.begin({ account: 'carol' }), 'carol 5: only two failures in the window');
        }),
    },
    {
      name: 'locks grow by the factor up to the maximum, and the growth is forgotten after the lock memory',
      run: () =>
        withPolicy(small, async (policy, clock) => {
          const expected = [10, 20, 40, 40];
          for (const [index, seconds] of expected.entries()) {
            for (let i = 1; i <= 3; i++) await fail(policy, 'alice', `lock ${index + 1}, attempt ${i}`);
            const decision = refused(await policy.begin({ account: 'alice' }), `lock ${index + 1}`);
            assert.equal(decision.retryAfter, seconds, `lock ${index + 1} lasts ${seconds} s`);
            clock.advance(seconds * second - 1);
            refused(await policy.begin({ account: 'alice' }), `lock ${index + 1}, 1 ms before its end`);
            clock.advance(1);
          }
          clock.advance(1001 * second);
          for (let i = 1; i <= 3; i++) await fail(policy, 'alice', `after the memory, attempt ${i}`);
          assert.equal(refused(await policy.begin({ account: 'alice' }), 'after the memory').retryAfter, 10);
        }),
    },
    {
      name: 'a permanent lock after N locks holds until an administrator unlocks it',
      run: () =>
        withPolicy({ ...small, lock: { ...small.lock, permanentAfter: 2 } }, async (policy, clock) => {
          for (let i = 1; i <= 3; i++) await fail(policy, 'alice', `first lock ${i}`);
          clock.advance(10 * second);
          for (let i = 1; i <= 3; i++) await fail(policy, 'alice', `second lock ${i}`);
          clock.advance(100_000 * second);
          const decision = refused(await policy.begin({ account: 'alice' }), 'days later');
          assert.equal(decision.permanent, true);
          assert.ok(decision.retryAfter > 0, 'a permanent lock still gives a finite retryAfter hint');
          const status = await policy.status({ account: 'alice' });
          assert.equal(status?.permanent, true);
          assert.equal(status.locked, true);
          assert.equal(await policy.unlock({ account: 'alice' }), true);
          allowed(await policy.begin({ account: 'alice' }), 'after unlock');
        }),
    },
    {
      name: 'a right password resets the consecutive failures and the growth',
      run: () =>
        withPolicy(small, async (policy, clock) => {
          for (let i = 1; i <= 3; i++) await fail(policy, 'alice', `lock ${i}`);
          clock.advance(10 * second);
          await fail(policy, 'alice', 'one more');
          await fail(policy, 'alice', 'two more');
          await allowed(await policy.begin({ account: 'alice' }), 'the right one').success();
          await fail(policy, 'alice', 'after success 1');
          await fail(policy, 'alice', 'after success 2');
          const status = await policy.status({ account: 'alice' });
          assert.equal(status?.lockCount, 0, 'the growth was reset by the success');
          assert.equal(status.failures, 2);
          allowed(await policy.begin({ account: 'alice' }), 'only two failures since the success');
        }),
    },
    {
      name: 'repeating a recent wrong password does not count again; the memory holds the last N',
      run: () =>
        withPolicy({ ...small, account: { threshold: 5, windowSeconds: 60 }, repeat: { remember: 2, windowSeconds: 300 } }, async (policy) => {
          const failures = async (): Promise<number | undefined> => (await policy.status({ account: 'alice' }))?.failures;
          for (let i = 0; i < 5; i++) await fail(policy, 'alice', `typo ${i}`, 'summer2024');
          assert.equal(await failures(), 1, 'five repeats counted once');
          await fail(policy, 'alice', 'second password', 'winter2024');
          await fail(policy, 'alice', 'repeat of the second', 'winter2024');
          assert.equal(await failures(), 2);
          // A third distinct password pushes the first out of a memory of 2: the first counts again, the third not.
          await fail(policy, 'alice', 'third password', 'autumn2024');
          assert.equal(await failures(), 3);
          await fail(policy, 'alice', 'the first again, forgotten', 'summer2024');
          assert.equal(await failures(), 4, 'a password pushed out of the memory counts again');
          await fail(policy, 'alice', 'the third again, remembered', 'autumn2024');
          assert.equal(await failures(), 4);
          await fail(policy, 'alice', 'a fifth distinct failure', 'spring2024');
          refused(await policy.begin({ account: 'alice' }), 'five counted failures');
        }),
    },
    {
      name: 'a digest given only at failure is deduplicated too, and repeats expire after their window',
      run: () =>
        withPolicy({ ...small, repeat: { remember: 3, windowSeconds: 30 } }, async (policy, clock) => {
          const attemptDigest = policy.digestAttempt('alice', 'hunter2');
          for (let i = 0; i < 3; i++) await allowed(await policy.begin({ account: 'alice' }), `late digest ${i}`).failure({ attemptDigest });
          assert.equal((await policy.status({ account: 'alice' }))?.failures, 1);
          clock.advance(31 * second);
          await allowed(await policy.begin({ account: 'alice' }), 'after the repeat window').failure({ attemptDigest });
          assert.equal((await policy.status({ account: 'alice' }))?.failures, 2, 'a repeat after its window counts');
        }),
    },
    {
      name: 'a cancelled attempt (backend down) does not count, even the one that had set the lock',
      run: () =>
        withPolicy(small, async (policy) => {
          await fail(policy, 'alice', 'one');
          await fail(policy, 'alice', 'two');
          const digest = policy.digestAttempt('alice', 'x');
          await allowed(await policy.begin({ account: 'alice' }, { attemptDigest: digest }), 'third').cancel();
          const status = await policy.status({ account: 'alice' });
          assert.equal(status?.locked, false, 'the cancelled attempt released the lock it had set');
          assert.equal(status.lockCount, 0);
          assert.equal(status.failures, 2);
          // Its digest was forgotten too: the same password later counts as a new failure and locks.
          await allowed(await policy.begin({ account: 'alice' }, { attemptDigest: digest }), 'the same password, checked this time').failure();
          refused(await policy.begin({ account: 'alice' }), 'three real failures');
        }),
    },
    {
      name: 'settling a ticket twice has no further effect',
      run: () =>
        withPolicy(small, async (policy) => {
          const ticket = allowed(await policy.begin({ account: 'alice' }), 'one');
          await ticket.cancel();
          await ticket.cancel();
          await ticket.failure();
          await fail(policy, 'alice', 'counted');
          assert.equal((await policy.status({ account: 'alice' }))?.failures, 1);
        }),
    },
    {
      name: `${parallel} parallel wrong attempts let exactly the threshold through`,
      run: () =>
        withPolicy({ ...small, account: { threshold: 5, windowSeconds: 60 } }, async (policy) => {
          const decisions = await Promise.all(
            Array.from({ length: parallel }, (_, i) => policy.begin({ account: 'alice' }, { attemptDigest: policy.digestAttempt('alice', `guess ${i}`) })),
          );
          const tickets = decisions.flatMap((decision) => (decision.allowed ? [decision.ticket] : []));
          assert.equal(tickets.length, 5);
          await Promise.all(tickets.map((ticket) => ticket.failure()));
          refused(await policy.begin({ account: 'alice' }), 'after the burst');
        }),
    },
    {
      name: 'the account+IP scope stops one source without locking the account for others',
      run: () =>
        withPolicy(
          { ...small, account: { threshold: 10, windowSeconds: 60 }, accountIp: { threshold: 2, windowSeconds: 60 } },
          async (policy) => {
            await fail(policy, 'alice', 'attacker 1', undefined, '203.0.113.7');
            await fail(policy, 'alice', 'attacker 2', undefined, '203.0.113.7');
            const decision = refused(await policy.begin({ account: 'alice', clientIp: '203.0.113.7' }), 'attacker 3');
            assert.equal(decision.scope, 'account_ip');
            allowed(await policy.begin({ account: 'alice', clientIp: '198.51.100.20' }), 'alice from her own address');
            allowed(await policy.begin({ account: 'bob', clientIp: '203.0.113.7' }), 'another account from the same address');
          },
        ),
    },
    {
      name: 'the IP scope stops password spraying across accounts; a right password is not held against the IP',
      run: () =>
        withPolicy({ ...small, ip: { threshold: 4, windowSeconds: 60 } }, async (policy) => {
          await allowed(await policy.begin({ account: 'user0', clientIp: '192.0.2.1' }), 'a good sign-in').success();
          for (let i = 1; i <= 4; i++) await fail(policy, `user${i}`, `spray ${i}`, 'Spring2025!', '192.0.2.1');
          const decision = refused(await policy.begin({ account: 'user9', clientIp: '192.0.2.1' }), 'spray 5');
          assert.equal(decision.scope, 'ip');
          allowed(await policy.begin({ account: 'user9', clientIp: '192.0.2.2' }), 'another address');
          // IPv6 addresses count per /64; the IPv4-mapped form is the IPv4 address.
          refused(await policy.begin({ account: 'user9', clientIp: '::ffff:192.0.2.1' }), 'mapped form of the sprayer');
        }),
    },
    {
      name: 'status, unlock and listLocked see locks; listLocked honours its limit',
      run: () =>
        withPolicy(small, async (policy) => {
          assert.equal(await policy.status({ account: 'nobody' }), null);
          assert.equal(await policy.unlock({ account: 'nobody' }), false);
          for (const name of ['a1', 'a2', 'a3']) for (let i = 1; i <= 3; i++) await fail(policy, name, `${name} ${i}`);
          await fail(policy, 'a4', 'a4 once');
          const status = await policy.status({ account: 'a1' });
          assert.equal(status?.locked, true);
          assert.equal(status.label, 'a1');
          assert.equal(status.retryAfter, 10);
          const all = await policy.listLocked({ limit: 10 });
          assert.deepEqual(all.items.map((item) => item.label).sort(), ['a1', 'a2', 'a3']);
          assert.equal(all.complete, true);
          const two = await policy.listLocked({ limit: 2 });
          assert.equal(two.items.length, 2);
          assert.equal(two.complete, false);
          assert.equal(await policy.unlock({ account: 'a2' }), true);
          allowed(await policy.begin({ account: 'a2' }), 'a2 after unlock');
          assert.equal((await policy.listLocked()).items.length, 2);
        }),
    },
    {
      name: 'attempts taken back in any order leave nothing, the lock they reached included',
      run: () =>
        withPolicy(small, async (policy) => {
          // A slow store's late cancels arrive in the order of its answers: the one that set the lock comes last.
          for (const order of [
            [0, 1, 2],
            [2, 0, 1],
            [1, 2, 0],
          ]) {
            const account = `order-${order.join('')}`;
            const tickets: LockoutTicket[] = [];
            for (let i = 1; i <= 3; i++) tickets.push(allowed(await policy.begin({ account }), `${account} attempt ${i}`));
            refused(await policy.begin({ account }), `${account} attempt 4`);
            for (const index of order) await tickets[index]?.cancel();
            assert.equal(await policy.status({ account }), null, `${account}: nothing left after every attempt was cancelled`);
          }
        }),
    },
    {
      name: 'everything expires: after the lock and window, the key holds nothing',
      run: () =>
        withPolicy({ ...small, lock: { ...small.lock, memorySeconds: 100 }, repeat: { remember: 3, windowSeconds: 30 } }, async (policy, clock) => {
          for (let i = 1; i <= 3; i++) await fail(policy, 'alice', `attempt ${i}`);
          clock.advance(101 * second);
          assert.equal(await policy.status({ account: 'alice' }), null);
          assert.equal((await policy.listLocked()).items.length, 0);
        }),
    },
    {
      name: 'usernames with key and pattern metacharacters are separate accounts',
      run: () =>
        withPolicy(small, async (policy) => {
          // 'x\uD800': a lone surrogate, no Unicode text (the policy counts it as 'x\uFFFD', as Redis stores it).
          const names = ['a{b}c', '{alice}', 'alice*', 'alice?', 'ali[c]e', 'alice\nFLUSHALL', `al'ice"--`, 'ä'.repeat(300), 'x\uD800', 'x', 'alice'];
          for (let i = 1; i <= 3; i++) await fail(policy, names[0] ?? '', `first name ${i}`);
          for (const name of names.slice(1)) allowed(await policy.begin({ account: name }), JSON.stringify(name).slice(0, 40));
          assert.equal((await policy.status({ account: names[0] ?? '' }))?.locked, true);
        }),
    },
    {
      name: 'a name with a lone UTF-16 surrogate counts as its U+FFFD form in every store',
      run: () =>
        withPolicy(small, async (policy) => {
          // No UTF-8 form: a store that encodes names (Redis) can only keep U+FFFD, so every store must count
          // 'x\uD800', 'x\uDC00' and 'x\uFFFD' as one account and show it as 'x\uFFFD'.
          await fail(policy, 'x\uD800', 'lone high surrogate');
          await fail(policy, 'x\uDC00', 'lone low surrogate');
          const status = await policy.status({ account: 'x\uFFFD' });
          assert.equal(status?.failures, 2);
          assert.equal(status.label, 'x\uFFFD');
        }),
    },
  ];
}
