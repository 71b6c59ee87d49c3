/**
 * Lockout benchmarks. Throughput is a ratio against rate-limiter-flexible doing its documented login
 * protection recipe (get both keys before the check, consume both on a failure) in the same run; memory is
 * measured per tracked key at 10^6 keys.
 *
 *   npm run bench:lockout                 (BENCH_OPS=100000 attempts per measurement by default)
 *
 * The Redis half runs against LEGACY_IDP_TEST_REDIS_URL (default redis://127.0.0.1:6379/0) under a random
 * key prefix that is deleted afterwards; it is skipped, and says so, when no Redis answers.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LockoutPolicy } from '../src/core/lockout.js';
import { createLockoutPolicy } from '../src/lockout/policy.js';
import { memoryLockoutStore } from '../src/lockout/stores/memory.js';
import { redisLockoutStore } from '../src/lockout/stores/redis.js';

const ops = Number(process.env.BENCH_OPS ?? 100_000);
const inFlight = 64;
const accounts = 100_000;
const ips = 50_000;

const accountFor = (i: number): string => `user${i % accounts}@example.org`;
const ipFor = (i: number): string => `10.${(i % ips) >> 16}.${((i % ips) >> 8) & 255}.${i % 256}`;

/** Runs `attempt(i)` for i < count with `inFlight` at a time; returns attempts per second. */
async function rate(count: number, attempt: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) await attempt(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/**
 * Ours: begin, then a wrong password (the attacker's path). With `digest`, the attempt digest for the repeat
 * rule is computed too (an HMAC-SHA256, as the Authenticator does per sign-in); rate-limiter-flexible's
 * recipe has no such rule, so both figures are shown.
 */
function oursAttempt(policy: LockoutPolicy & { digestAttempt(account: string, password: string): string }, digest: boolean) {
  return async (i: number): Promise<void> => {
    const account = accountFor(i);
    const attemptDigest = digest ? policy.digestAttempt(account, `guess-${i}`) : undefined;
    const options = attemptDigest === undefined ? {} : { attemptDigest };
    const decision = await policy.begin({ account, clientIp: ipFor(i) }, options);
    if (decision.allowed) await decision.ticket.failure(options);
  };
}

/**
 * rate-limiter-flexible's login recipe (its wiki, "Login endpoint protection"): an IP limiter (100 failures
 * a day, then blocked a day) and a username+IP limiter (10 consecutive failures in 90 days, here 20, blocked an hour). Before
 * the check it reads both; after a wrong password it consumes both.
 */
function recipeAttempt(byIp: RateLimiterAbstract, byUserAndIp: RateLimiterAbstract) {
  return async (i: number): Promise<void> => {
    const ip = ipFor(i);
    const userIp = `${accountFor(i)}_${ip}`;
    const [ipState, userIpState] = await Promise.all([byIp.get(ip), byUserAndIp.get(userIp)]);
    if ((ipState?.consumedPoints ?? 0) > 100 || (userIpState?.consumedPoints ?? 0) > 10) return;
    await Promise.all([byIp.consume(ip), byUserAndIp.consume(userIp)]).catch(() => undefined);
  };
}

const recipeOptions = (prefix: string) =>
  [
    { keyPrefix: `${prefix}ip`, points: 100, duration: 86_400, blockDuration: 86_400 },
    // The recipe says 90 days; the memory limiter keeps a setTimeout per key, which Node caps at 24.8 days.
    { keyPrefix: `${prefix}uip`, points: 10, duration: 20 * 86_400, blockDuration: 3_600 },
  ] as const;

function ratio(ours: number, theirs: number): string {
  return `${(ours / theirs).toFixed(2)}x (${Math.round(ours).toLocaleString('en')} vs ${Math.round(theirs).toLocaleString('en')} attempts/s)`;
}

async function memoryThroughput(): Promise<void> {
  const ratios: Record<string, number[]> = { 'with digest': [], 'begin+failure alone': [] };
  // Warm-up: both sides' code reaches V8's optimizing compiler before anything is timed (rate-limiter-flexible
  // measured cold ran up to 40% slower in its first round).
  {
    const [ipOptions, userIpOptions] = recipeOptions('warm');
    await rate(30_000, recipeAttempt(new RateLimiterMemory(ipOptions), new RateLimiterMemory(userIpOptions)));
    const policy = createLockoutPolicy({ store: memoryLockoutStore({ sweepIntervalMs: 0 }), secret: 'bench secret, 16+ bytes' });
    await rate(30_000, oursAttempt(policy, true));
    await rate(30_000, oursAttempt(policy, false));
    await policy.close();
  }
  for (let round = 0; round < 3; round++) {
    const [ipOptions, userIpOptions] = recipeOptions('m');
    const recipe = recipeAttempt(new RateLimiterMemory(ipOptions), new RateLimiterMemory(userIpOptions));
    const theirs = await rate(ops, recipe);
    for (const [label, digest] of [['with digest', true], ['begin+failure alone', false]] as const) {
      const policy = createLockoutPolicy({ store: memoryLockoutStore({ sweepIntervalMs: 0, maxKeys: 1_000_000 }), secret: 'bench secret, 16+ bytes' });
      const ours = await rate(ops, oursAttempt(policy, digest));
      ratios[label]?.push(ours / theirs);
      console.log(`memory, round ${round + 1}, ${label} (account + ip scopes) vs rate-limiter-flexible's memory recipe (ip + user_ip limiters): ${ratio(ours, theirs)}`);
      await policy.close();
    }
  }
  for (const [label, values] of Object.entries(ratios)) {
    console.log(`memory, ${label}: ${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}x (target >= 1.5x)`);
  }
  console.log('');
}

function heapUsedAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function memoryPerKey(): Promise<void> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    console.log('memory per key: skipped (run with --expose-gc: npm run bench:lockout does)\n');
    return;
  }
  const keys = Number(process.env.BENCH_KEYS ?? 1_000_000);
  const store = memoryLockoutStore({ sweepIntervalMs: 0, maxKeys: keys });
  const policy = createLockoutPolicy({ store, secret: 'bench secret, 16+ bytes', accountIp: false, ip: false });
  const before = heapUsedAfterGc();
  for (let i = 0; i < keys; i++) {
    const account = `user${i}@example.org`;
    const attemptDigest = policy.digestAttempt(account, 'guess');
    const decision = await policy.begin({ account }, { attemptDigest });
    if (decision.allowed) await decision.ticket.failure({ attemptDigest });
  }
  const after = heapUsedAfterGc();
  console.log(`memory per tracked key at ${keys.toLocaleString('en')} keys: ${Math.round((after - before) / store.size)} bytes (one failure, one remembered digest; ${store.size.toLocaleString('en')} keys held)`);
  await policy.close();

  const limiter = new RateLimiterMemory({ keyPrefix: 'k', points: 10, duration: 3600 });
  const beforeTheirs = heapUsedAfterGc();
  for (let i = 0; i < keys; i++) await limiter.consume(`user${i}@example.org`);
  const afterTheirs = heapUsedAfterGc();
  console.log(`rate-limiter-flexible memory limiter, same keys: ${Math.round((afterTheirs - beforeTheirs) / keys)} bytes per key (a counter, no digest)\n`);
}

async function redisThroughput(): Promise<void> {
  const url = process.env.LEGACY_IDP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null });
  try {
    await client.connect();
  } catch {
    console.log(`redis: skipped, no Redis at ${url}`);
    client.disconnect();
    return;
  }
  const prefix = `bench_${randomBytes(6).toString('hex')}:`;
  /**
   * Server-side counters: every command executed (script-internal calls included) and round trips. Neither
   * side sends a bare command on this path (ours: one EVALSHA; rate-limiter-flexible: EVALSHA for consume and
   * MULTI/GET/PTTL/EXEC for get), so round trips = EVAL + EVALSHA + EXEC.
   */
  const counters = async (): Promise<{ commands: number; roundTrips: number }> => {
    const info = await client.info('commandstats');
    let commands = 0;
    let roundTrips = 0;
    for (const match of info.matchAll(/cmdstat_(\w+):calls=(\d+)/gu)) {
      const calls = Number(match[2]);
      commands += calls;
      if (match[1] === 'eval' || match[1] === 'evalsha' || match[1] === 'exec') roundTrips += calls;
    }
    return { commands, roundTrips };
  };
  try {
    const count = Math.min(ops, 30_000);
    for (let round = 0; round < 3; round++) {
      const [ipOptions, userIpOptions] = recipeOptions(`${prefix}rlf${round}`);
      const recipe = recipeAttempt(new RateLimiterRedis({ storeClient: client, ...ipOptions }), new RateLimiterRedis({ storeClient: client, ...userIpOptions }));
      const theirsBefore = await counters();
      const theirs = await rate(count, recipe);
      const theirsAfter = await counters();

      const policy = createLockoutPolicy({ store: redisLockoutStore({ client, keyPrefix: `${prefix}ours${round}:` }), secret: 'bench secret, 16+ bytes' });
      const oursBefore = await counters();
      const ours = await rate(count, oursAttempt(policy, true));
      const oursAfter = await counters();
      // The INFO call itself is one command between the readings.
      const per = (after: number, before: number): string => ((after - before - 1) / count).toFixed(2);
      console.log(
        `redis, round ${round + 1}: ${ratio(ours, theirs)}; per wrong attempt: round trips ours ${per(oursAfter.roundTrips, oursBefore.roundTrips - 1)}, ` +
          `theirs ${per(theirsAfter.roundTrips, theirsBefore.roundTrips - 1)}; server commands ours ${per(oursAfter.commands, oursBefore.commands)}, theirs ${per(theirsAfter.commands, theirsBefore.commands)}`,
      );
    }
    console.log('redis targets: >= 1.0x, exactly 1 round trip per wrong attempt (one EVALSHA)');
  } finally {
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await client.unlink(...found);
    } while (cursor !== '0');
    client.disconnect();
  }
}

console.log(`lockout benchmarks: ${ops.toLocaleString('en')} attempts per measurement, ${inFlight} in flight, ${accounts.toLocaleString('en')} accounts over ${ips.toLocaleString('en')} IPs\n`);
await memoryThroughput();
await redisThroughput();
console.log('');
await memoryPerKey();
