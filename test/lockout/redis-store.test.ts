// The Redis lockout store on real servers: the shared conformance suite on the machine's Redis (through a
// store-made connection and through an injected client) and on a private 3-master Redis Cluster, plus what only
// Redis has: round trips per attempt, TTLs, key names, hash tags.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockoutAccountKey } from '../../src/lockout/account-key.js';
import { createLockoutPolicy, type ConfiguredLockoutPolicy, type LockoutPolicyOptions } from '../../src/lockout/policy.js';
import { redisLockoutStore, type RedisLockoutStore } from '../../src/lockout/stores/redis.js';
import { memoryLockoutStore } from '../../src/lockout/stores/memory.js';
import type { LockGrowth, LockoutStore, LockoutTarget, RepeatRule, ReserveResult } from '../../src/lockout/types.js';
import { lockoutStoreConformance } from '../../src/testing/lockout-store.js';
import { startRedisCluster, type RedisClusterInstance } from '../harness/redis-server.js';
import { createRedisKeyPrefix, describeWithService, serviceUrls, type RedisKeyPrefix } from '../harness/services.js';

// ioredis's own dependency; it has no types of its own.
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** The targets the policy builds for (account, IP), with the slot/key scheme of policy.ts. */
function targetsOf(account: string, ip: string): Record<'account' | 'account_ip' | 'ip', Pick<LockoutTarget, 'key' | 'slot'>> {
  return {
    account: { key: `a:${account}`, slot: `a:${account}` },
    account_ip: { key: `ai:${account}\0${ip}`, slot: `a:${account}` },
    ip: { key: `i:${ip}`, slot: `i:${ip}` },
  };
}

/** One step of the differential test: what a policy would ask of a store. */
type Step =
  | { op: 'begin'; account: number; ip: number | null; digest: number | null }
  | { op: 'settle'; pick: number; kind: 'success' | 'cancel' | 'failure'; lateDigest: number }
  | { op: 'advance'; ms: number }
  | { op: 'unlock'; account: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  // Mostly one account, so that its counters, locks and remembered digests get deep.
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('begin' as const), account: fc.constantFrom(0, 0, 0, 1, 2), ip: fc.option(fc.nat(1)), digest: fc.option(fc.nat(3), { freq: 4 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('settle' as const), pick: fc.nat(), kind: fc.constantFrom('success' as const, 'cancel' as const, 'failure' as const), lateDigest: fc.nat(3) }),
  },
  // Fractional milliseconds too: windows and locks may be fractional (seconds as decimals).
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 1, max: 4000 }), fc.double({ min: 0.001, max: 3000, noNaN: true })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unlock' as const), account: fc.nat(2) }) },
);

const growthArbitrary: fc.Arbitrary<LockGrowth> = fc.record({
  baseMs: fc.constantFrom(1000, 1500.5, 2222.25),
  factor: fc.constantFrom(1, 1.5, 2, 3),
  maxMs: fc.constantFrom(2500, 9000.75),
  permanentAfter: fc.constantFrom(0, 0, 3),
  memoryMs: fc.constantFrom(6000, 20_000.5),
});

const hashTag = (key: string): string => /\{([^}]*)\}/.exec(key)?.[1] ?? key;

describeWithService('redis', 'redis lockout store (shared Redis)', () => {
  const prefixes: RedisKeyPrefix[] = [];
  const newPrefix = (): RedisKeyPrefix => {
    const prefix = createRedisKeyPrefix();
    prefixes.push(prefix);
    return prefix;
  };
  let shared: Redis;

  beforeAll(async () => {
    shared = new Redis(serviceUrls().redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await shared.connect();
  });
  afterAll(async () => {
    for (const prefix of prefixes) await prefix.cleanup();
    await shared.quit();
  });

  describe('conformance, store-made connection', () => {
    for (const c of lockoutStoreConformance({ createStore: () => redisLockoutStore({ connection: serviceUrls().redis, keyPrefix: newPrefix().prefix }) })) {
      it(c.name, c.run);
    }
  });

  describe('conformance, injected client', () => {
    for (const c of lockoutStoreConformance({ createStore: () => redisLockoutStore({ client: shared, keyPrefix: newPrefix().prefix }) })) it(c.name, c.run);
  });

  async function keysOf(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await shared.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    return keys.sort();
  }

  interface Counted {
    policy: ConfiguredLockoutPolicy;
    store: RedisLockoutStore;
    /** Commands the store's client sent since the last reset. */
    sent: string[];
    /** Commands Redis saw on this test's keys (MONITOR on a second connection) since the last reset. */
    seen: string[][];
    reset(): void;
    /** Waits until MONITOR has delivered what was sent (it trails the replies). */
    settle(): Promise<void>;
    close(): Promise<void>;
  }

  /** A policy over a store on a client of its own, with every command counted twice: client side and server side. */
  async function counted(policyOptions: Omit<LockoutPolicyOptions, 'store'>): Promise<Counted> {
    const { prefix } = newPrefix();
    const client = new Redis(serviceUrls().redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const sent: string[] = [];
    const original = client.sendCommand.bind(client);
    client.sendCommand = (command, ...rest) => {
      sent.push(command.name);
      return original(command, ...rest);
    };
    const monitor = await shared.monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // Commands a script runs show up too, with the source "lua": they are not round trips.
      if (source !== 'lua' && (args.some((arg) => arg.startsWith(prefix)) || args[0] === 'echo')) seen.push(args);
    });
    const store = redisLockoutStore({ client, keyPrefix: prefix });
    const policy = createLockoutPolicy({ store, secret: 'a shared secret of the instances', ...policyOptions });
    return {
      policy,
      store,
      sent,
      seen,
      reset: () => {
        sent.length = 0;
        seen.length = 0;
      },
      settle: async () => {
        const marker = `monitor-marker-${prefix}`;
        await client.echo(marker);
        const deadline = Date.now() + 2000;
        while (!seen.some((args) => args[1] === marker) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        const at = seen.findIndex((args) => args[1] === marker);
        if (at >= 0) seen.splice(at, seen.length - at);
        sent.pop();
        // MONITOR also shows other runs' ECHOs; only ours carry the prefix.
        for (let i = seen.length - 1; i >= 0; i--) if (seen[i]?.[0] === 'echo') seen.splice(i, 1);
      },
      close: async () => {
        await policy.close();
        monitor.disconnect();
        client.disconnect();
      },
    };
  }

  it('one round trip per reserve, none for a wrong password whose digest was given at begin (three scopes)', async () => {
    const run = await counted({ accountIp: {}, ip: {} });
    try {
      const { policy } = run;
      const keys = { account: 'alice', clientIp: '203.0.113.9' };
      for (let attempt = 1; attempt <= 3; attempt++) {
        run.reset();
        const attemptDigest = policy.digestAttempt('alice', `wrong ${attempt}`);
        const decision = await policy.begin(keys, { attemptDigest });
        expect(decision.allowed).toBe(true);
        await run.settle();
        expect(run.sent, `attempt ${attempt}: begin`).toHaveLength(1);
        expect(run.seen, `attempt ${attempt}: begin, as Redis saw it`).toHaveLength(1);
        // The first call on a connection sends the script itself, later ones its SHA.
        expect(run.seen[0]?.[0]).toBe(attempt === 1 ? 'eval' : 'evalsha');
        run.reset();
        if (decision.allowed) await decision.ticket.failure({ attemptDigest });
        await run.settle();
        expect(run.sent, `attempt ${attempt}: failure`).toEqual([]);
        expect(run.seen, `attempt ${attempt}: failure, as Redis saw it`).toEqual([]);
      }
      // A right password: one call to reserve, one to settle.
      run.reset();
      const decision = await policy.begin(keys, { attemptDigest: policy.digestAttempt('alice', 'right') });
      if (decision.allowed) await decision.ticket.success();
      await run.settle();
      expect(run.sent).toEqual(['evalsha', 'evalsha']);
      // (The settle script's first use on this connection: EVAL with its text; EVALSHA from then on.)
      expect(run.seen.map((args) => args[0])).toEqual(['evalsha', 'eval']);
      // A refusal is one round trip too.
      for (let i = 0; i < 10; i++) {
        const attempt = await policy.begin(keys);
        if (attempt.allowed) await attempt.ticket.failure();
      }
      run.reset();
      expect((await policy.begin(keys)).allowed).toBe(false);
      await run.settle();
      expect(run.sent).toEqual(['evalsha']);
    } finally {
      await run.close();
    }
  });

  it('every key written has a TTL that covers its record; only a permanent lock has none', async () => {
    const { prefix } = newPrefix();
    const store = redisLockoutStore({ client: shared, keyPrefix: prefix });
    let now = Date.now();
    const policy = createLockoutPolicy({
      store,
      clock: () => now,
      account: { threshold: 3, windowSeconds: 60 },
      accountIp: { threshold: 20, windowSeconds: 120 },
      ip: { threshold: 50, windowSeconds: 600 },
      lock: { baseSeconds: 10, permanentAfter: 2, memorySeconds: 1000 },
      repeat: { remember: 3, windowSeconds: 900 },
    });
    const fail = async (account: string): Promise<void> => {
      const attemptDigest = policy.digestAttempt(account, `pw-${Math.random()}`);
      const decision = await policy.begin({ account, clientIp: '198.51.100.4' }, { attemptDigest });
      if (decision.allowed) await decision.ticket.failure({ attemptDigest });
    };
    await fail('bob');
    await fail('carol');
    const keys = await keysOf(prefix);
    // bob, carol: account and account+IP each; the IP once.
    expect(keys).toHaveLength(5);
    for (const key of keys) {
      const ttl = await shared.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      // The longest part of any record here: the remembered digest (900 s), or the IP window (600 s).
      expect(ttl, key).toBeLessThanOrEqual(900_000);
    }
    // Two locks make bob's account lock permanent: that key alone loses its TTL.
    for (let i = 0; i < 2; i++) await fail('bob');
    now += 11_000;
    for (let i = 0; i < 3; i++) await fail('bob');
    const bobAccount = store.keyOf(targetsOf('bob', '198.51.100.4').account);
    expect((await policy.status({ account: 'bob' }))?.permanent).toBe(true);
    for (const key of await keysOf(prefix)) {
      if (key === bobAccount) expect(await shared.pttl(key)).toBe(-1);
      else expect(await shared.pttl(key), key).toBeGreaterThan(0);
    }
    // An unlock deletes the key; a record emptied by a success is deleted too.
    expect(await policy.unlock({ account: 'bob' })).toBe(true);
    expect(await shared.exists(bobAccount)).toBe(0);
    const decision = await policy.begin({ account: 'carol' });
    if (decision.allowed) await decision.ticket.success();
    expect(await shared.exists(store.keyOf(targetsOf('carol', '198.51.100.4').account))).toBe(0);
    await policy.close();
  });

  it('key names hold digests, never a username or an IP; metacharacters in a username work', async () => {
    const { prefix } = newPrefix();
    const store = redisLockoutStore({ client: shared, keyPrefix: prefix });
    const policy = createLockoutPolicy({ store, account: { threshold: 2 }, accountIp: {}, ip: {} });
    const name = 'evil{user}*?[x]\nFLUSHALL';
    const ip = '192.0.2.77';
    for (let i = 0; i < 2; i++) {
      const decision = await policy.begin({ account: name, clientIp: ip });
      if (decision.allowed) await decision.ticket.failure();
    }
    expect((await policy.begin({ account: name, clientIp: ip })).allowed).toBe(false);
    expect((await policy.begin({ account: 'evil', clientIp: '192.0.2.78' })).allowed).toBe(true);
    const status = await policy.status({ account: name });
    // Labels show the account as the lockout counts it: folded (lockoutAccountKey).
    expect(status?.label).toBe(lockoutAccountKey(name));
    expect(status?.label).toBe('evil{user}*?[x]\nflushall');
    expect(status?.locked).toBe(true);
    const listed = await policy.listLocked();
    expect(listed.items.map((item) => item.label)).toEqual([lockoutAccountKey(name)]);

    const keys = await keysOf(prefix);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) {
      const rest = key.slice(prefix.length);
      expect(rest).toMatch(/^\{[\w-]{22}\}:[\w-]{22}$/);
      for (const secret of ['evil', 'user', 'FLUSHALL', '192.0.2', 'alice']) expect(key).not.toContain(secret);
    }
    const targets = targetsOf(lockoutAccountKey(name), ip);
    expect(keys).toContain(store.keyOf(targets.account));
    expect(keys).toContain(store.keyOf(targets.ip));
    await policy.close();
  });

  it("an account's keys share one hash tag (one Cluster slot); the IP's key has its own", () => {
    const store = redisLockoutStore({ client: shared });
    for (const [account, ip] of [
      ['alice', '203.0.113.1'],
      ['{bob}', '2001:db8::/64'],
      ['c*rol\n', '198.51.100.2'],
    ] as const) {
      const targets = targetsOf(account, ip);
      const accountKey = store.keyOf(targets.account);
      const pairKey = store.keyOf(targets.account_ip);
      const ipKey = store.keyOf(targets.ip);
      expect(accountKey.startsWith('legacy-idp:lockout:{')).toBe(true);
      expect(hashTag(pairKey)).toBe(hashTag(accountKey));
      expect(calculateSlot(pairKey)).toBe(calculateSlot(accountKey));
      expect(hashTag(ipKey)).not.toBe(hashTag(accountKey));
      expect(pairKey).not.toBe(accountKey);
    }
  });

  it("an injected client's own ioredis keyPrefix is honoured, listLocked included", async () => {
    const { prefix } = newPrefix();
    const client = new Redis(serviceUrls().redis, { lazyConnect: true, keyPrefix: `${prefix}outer:` });
    await client.connect();
    const store = redisLockoutStore({ client, keyPrefix: 'inner:' });
    const policy = createLockoutPolicy({ store, account: { threshold: 1 }, ip: false });
    const decision = await policy.begin({ account: 'dave' });
    if (decision.allowed) await decision.ticket.failure();
    expect(await keysOf(prefix)).toEqual([`${prefix}outer:${store.keyOf(targetsOf('dave', '').account)}`]);
    expect((await policy.listLocked()).items.map((item) => item.label)).toEqual(['dave']);
    expect(await policy.unlock({ account: 'dave' })).toBe(true);
    expect(await keysOf(prefix)).toEqual([]);
    await policy.close();
    client.disconnect();
  });

  it('listLocked stops at the scan budget and says it is incomplete', async () => {
    const { prefix } = newPrefix();
    const store = redisLockoutStore({ client: shared, keyPrefix: prefix, scanBudget: 5 });
    const policy = createLockoutPolicy({ store, account: { threshold: 1 }, ip: false });
    for (let i = 0; i < 40; i++) {
      const decision = await policy.begin({ account: `user-${i}` });
      if (decision.allowed) await decision.ticket.failure();
    }
    const partial = await policy.listLocked({ limit: 1000 });
    expect(partial.complete).toBe(false);
    expect(partial.items.length).toBeLessThan(40);
    const full = await createLockoutPolicy({ store: redisLockoutStore({ client: shared, keyPrefix: prefix }) }).listLocked({ limit: 1000 });
    expect(full.complete).toBe(true);
    expect(full.items).toHaveLength(40);
    await policy.close();
  });

  it('answers exactly as the memory store (rules.ts) over random operation sequences', async () => {
    const property = fc.asyncProperty(
      fc.record({
        thresholds: fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 8 })),
        windowMs: fc.constantFrom(3000, 4500.5, 10_000),
        growth: growthArbitrary,
        repeat: fc.constantFrom<RepeatRule>({ remember: 0, ttlMs: 0 }, { remember: 2, ttlMs: 5000 }, { remember: 3, ttlMs: 2500.5 }),
      }),
      fc.array(stepArbitrary, { minLength: 10, maxLength: 60, size: 'max' }),
      async ({ thresholds, windowMs, growth, repeat }, steps) => {
        const memory = memoryLockoutStore({ sweepIntervalMs: 0 });
        const redis = redisLockoutStore({ client: shared, keyPrefix: newPrefix().prefix });
        const stores: [LockoutStore, LockoutStore] = [memory, redis];
        const [accountThreshold, pairThreshold, ipThreshold] = thresholds;
        const accounts = ['alice', 'b{o}b', 'c*rol'];
        const ips = ['192.0.2.1', '2001:db8::/64'];
        const target = (scope: LockoutTarget['scope'], account: string, ip: string): LockoutTarget => {
          const threshold = scope === 'account' ? accountThreshold : scope === 'account_ip' ? pairThreshold : ipThreshold;
          const key = scope === 'account' ? `a:${account}` : scope === 'account_ip' ? `ai:${account}\0${ip}` : `i:${ip}`;
          const slot = scope === 'ip' ? key : `a:${account}`;
          const label = scope === 'account' ? account : scope === 'ip' ? ip : `${account} @ ${ip}`;
          return { scope, key, slot, label, threshold, windowMs, lock: growth };
        };
        const everyTarget = accounts.flatMap((account) => [target('account', account, ''), ...ips.flatMap((ip) => [target('account_ip', account, ip), target('ip', account, ip)])]);
        let now = Date.now();
        let ticketCounter = 0;
        const pending: { ticket: string; targets: LockoutTarget[]; counted: boolean; digest: string | undefined }[] = [];
        for (const [index, step] of steps.entries()) {
          const where = `step ${index} ${JSON.stringify(step)}`;
          if (step.op === 'advance') now += step.ms;
          else if (step.op === 'unlock') {
            const chosen = target('account', accounts[step.account] ?? '', '');
            const answers = await Promise.all(stores.map((store) => store.unlock(chosen, now)));
            expect(answers[1], where).toBe(answers[0]);
          } else if (step.op === 'begin') {
            const account = accounts[step.account] ?? '';
            const ip = step.ip === null ? undefined : ips[step.ip];
            const targets = [target('account', account, '')];
            if (ip !== undefined) targets.push(target('account_ip', account, ip), target('ip', account, ip));
            const digest = step.digest === null || repeat.remember === 0 ? undefined : `digest-${step.digest}`;
            const ticket = `t${ticketCounter++}`;
            const request = { now, ticket, targets, repeat, ...(digest === undefined ? {} : { attemptDigest: digest }) };
            const answers: ReserveResult[] = [];
            for (const store of stores) answers.push(await store.reserve(request));
            expect(answers[1], where).toEqual(answers[0]);
            const answer = answers[0];
            if (answer?.allowed) pending.push({ ticket, targets, counted: answer.counted, digest });
          } else if (pending.length > 0) {
            const [chosen] = pending.splice(step.pick % pending.length, 1);
            if (!chosen) continue;
            // As PolicyTicket: a failure only reaches the store with a digest learnt late; nothing to undo for an uncounted one.
            const late = step.kind === 'failure' ? (chosen.digest === undefined && repeat.remember > 0 ? `digest-${step.lateDigest}` : undefined) : chosen.digest;
            if (step.kind === 'failure' && late === undefined) continue;
            if (!chosen.counted && step.kind !== 'success') continue;
            const request = { now, ticket: chosen.ticket, targets: chosen.targets, kind: step.kind, counted: chosen.counted, repeat, ...(late === undefined ? {} : { attemptDigest: late }) };
            for (const store of stores) await store.settle(request);
          }
          const statuses = await Promise.all(stores.map((store) => Promise.all(everyTarget.map((each) => store.status(each, now)))));
          expect(statuses[1], where).toEqual(statuses[0]);
        }
        const listed = await Promise.all(stores.map(async (store) => (await store.listLocked({ now, limit: 100 })).items.map((item) => item.label).sort()));
        expect(listed[1]).toEqual(listed[0]);
        await memory.close?.();
      },
    );
    await fc.assert(property, { numRuns: 100 });
  }, 120_000);

  it('a remembered digest is pushed out by newer ones (memory of 2)', async () => {
    const store = redisLockoutStore({ client: shared, keyPrefix: newPrefix().prefix });
    const policy = createLockoutPolicy({ store, account: { threshold: 10 }, ip: false, repeat: { remember: 2 } });
    for (const password of ['one', 'two', 'three', 'one', 'three']) {
      const attemptDigest = policy.digestAttempt('alice', password);
      const decision = await policy.begin({ account: 'alice' }, { attemptDigest });
      if (decision.allowed) await decision.ticket.failure({ attemptDigest });
    }
    // 'one' was forgotten when 'three' came (it counts again); 'three' was still remembered.
    expect((await policy.status({ account: 'alice' }))?.failures).toBe(4);
    await policy.close();
  });

  it('validates its options and never closes an injected client', async () => {
    expect(() => redisLockoutStore({})).toThrow(/exactly one of `client`/);
    expect(() => redisLockoutStore({ client: shared, connection: serviceUrls().redis })).toThrow(/exactly one of `client`/);
    expect(() => redisLockoutStore({ connection: 'redis://x', scanBudget: 0 })).toThrow(/scanBudget/);
    const notAClient: unknown = { get: () => undefined };
    expect(() => redisLockoutStore({ client: notAClient as Redis })).toThrow(/ioredis Redis or Cluster/);
    const store = redisLockoutStore({ client: shared, keyPrefix: newPrefix().prefix });
    expect(store.name).toBe('redis');
    expect(store.shared).toBe(true);
    await store.close?.();
    expect(await shared.ping()).toBe('PONG');
  });
});

describeWithService('redis-server', 'redis lockout store on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterInstance | undefined;
  let client: Cluster;
  let counter = 0;

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = new Cluster([...cluster.nodes], { enableOfflineQueue: true, redisOptions: { maxRetriesPerRequest: 1 } });
    await client.ping();
  }, 90_000);
  afterAll(async () => {
    await client.quit().catch(() => undefined);
    await cluster?.stop();
  });

  describe('conformance', () => {
    for (const c of lockoutStoreConformance({ createStore: () => redisLockoutStore({ client, keyPrefix: `cluster-case-${++counter}:` }) })) it(c.name, c.run);
  });

  it('CLUSTER KEYSLOT agrees: an account and its account+IP key share a slot, the IP key sits elsewhere', async () => {
    const store = redisLockoutStore({ client });
    const slotOf = async (key: string): Promise<number> => await client.cluster('KEYSLOT', key);
    const targets = targetsOf('alice', '203.0.113.5');
    const accountSlot = await slotOf(store.keyOf(targets.account));
    expect(await slotOf(store.keyOf(targets.account_ip))).toBe(accountSlot);
    expect(accountSlot).toBe(calculateSlot(store.keyOf(targets.account)));
    expect(await slotOf(store.keyOf(targets.ip))).not.toBe(accountSlot);
  });

  it('one script per slot group, in parallel; locked keys spread over every master are all listed', async () => {
    const prefix = `cluster-rt-${++counter}:`;
    const store = redisLockoutStore({ client, keyPrefix: prefix });
    const policy = createLockoutPolicy({ store, account: { threshold: 2 }, accountIp: {}, ip: { threshold: 100 } });
    const sent: string[] = [];
    const original = client.sendCommand.bind(client);
    client.sendCommand = (command, ...rest) => {
      sent.push(command.name);
      return original(command, ...rest);
    };
    try {
      const attemptDigest = policy.digestAttempt('alice', 'wrong');
      const decision = await policy.begin({ account: 'alice', clientIp: '203.0.113.5' }, { attemptDigest });
      expect(decision.allowed).toBe(true);
      // Two slot groups: alice's keys, and the IP's.
      expect(sent.filter((name) => name === 'evalsha' || name === 'eval')).toHaveLength(2);
      sent.length = 0;
      if (decision.allowed) await decision.ticket.failure({ attemptDigest });
      expect(sent).toEqual([]);
    } finally {
      client.sendCommand = original;
    }
    const names = Array.from({ length: 24 }, (_, i) => `spread-${i}`);
    for (const name of names) {
      for (let i = 0; i < 2; i++) {
        const decision = await policy.begin({ account: name, clientIp: '198.51.100.9' });
        if (decision.allowed) await decision.ticket.failure();
      }
    }
    const masters = new Set(names.map((name) => client.slots[calculateSlot(store.keyOf(targetsOf(name, '').account))]?.[0]));
    expect(masters.size).toBe(3);
    const listed = await policy.listLocked({ limit: 1000 });
    expect(listed.complete).toBe(true);
    expect(listed.items.filter((item) => item.scope === 'account').map((item) => item.label).sort()).toEqual([...names].sort());
    await policy.close();
  });
});
