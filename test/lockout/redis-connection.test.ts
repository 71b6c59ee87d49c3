// The connection a Redis lockout store makes itself (`connection`), on private redis-servers: it is opened when the
// store is built (not inside the first sign-in's storeTimeoutMs), close() ends it even when Redis does not answer
// (frozen with SIGSTOP: a shutdown must not hang), and an evicting maxmemory-policy is reported.
import type { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../src/core/logger.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { redisLockoutStore } from '../../src/lockout/stores/redis.js';
import { freezeProcess, sleep, waitUntil } from '../harness/process.js';
import { connectRedis, describeWithService, startRedisServer, type RedisServerInstance } from '../harness/services.js';

function capturingLogger(): Logger & { warnings: { message: string; fields: LogFields | undefined }[] } {
  const warnings: { message: string; fields: LogFields | undefined }[] = [];
  const ignore = (): void => undefined;
  return {
    warnings,
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (message, fields) => {
      warnings.push({ message, fields });
    },
  };
}

/** 'closed', or 'still waiting' when close() has not returned after 10 s (it used to wait forever). */
async function closeOrHang(close: () => Promise<void>): Promise<string> {
  return Promise.race([close().then(() => 'closed'), sleep(10_000).then(() => 'still waiting')]);
}

describeWithService('redis-server', 'redis lockout store: its own connection', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function server(args: string[] = []): Promise<RedisServerInstance & { admin: Redis; otherClients(): Promise<number> }> {
    const started = await startRedisServer({ args });
    const admin = connectRedis(started.url);
    cleanups.push(async () => {
      admin.disconnect();
      // Thawed first: a frozen server would take SIGTERM only after SIGCONT anyway.
      process.kill(started.pid, 'SIGCONT');
      await started.stop();
    });
    await admin.connect();
    const adminId = String(await admin.client('ID'));
    return {
      ...started,
      admin,
      // Connections other than the admin's own, from CLIENT LIST.
      async otherClients() {
        const list = String(await admin.client('LIST'));
        return list.split('\n').filter((line) => line.startsWith('id=') && !line.startsWith(`id=${adminId} `)).length;
      },
    };
  }

  it('connects when it is built, before any call, and close() ends the connection', async () => {
    const redis = await server();
    const store = redisLockoutStore({ connection: redis.url, keyPrefix: 'connection:' });
    cleanups.push(() => store.close?.() ?? Promise.resolve());
    await waitUntil(async () => (await redis.otherClients()) === 1, { timeoutMs: 5_000, what: 'the store connecting without a call' });
    await store.close?.();
    await waitUntil(async () => (await redis.otherClients()) === 0, { timeoutMs: 5_000, what: 'the store disconnecting' });
  });

  it('close() returns while Redis is frozen, and drops the connection', async () => {
    const redis = await server();
    const store = redisLockoutStore({ connection: redis.url, keyPrefix: 'connection:' });
    expect(await store.status({ key: 'a:warm-up', scope: 'account', slot: 'a:warm-up' }, Date.now())).toBeNull();
    await freezeProcess(redis.pid);
    expect(await closeOrHang(() => store.close?.() ?? Promise.resolve())).toBe('closed');
    process.kill(redis.pid, 'SIGCONT');
    await waitUntil(async () => (await redis.otherClients()) === 0, { timeoutMs: 5_000, what: 'the connection gone once Redis thawed' });
  });

  it('close() returns when Redis was frozen before the store ever connected', async () => {
    const redis = await server();
    await freezeProcess(redis.pid);
    const store = redisLockoutStore({ connection: redis.url, keyPrefix: 'connection:' });
    const policy = createLockoutPolicy({ store, storeTimeoutMs: 300, ip: false });
    // The connection never gets ready: the sign-in's reservation fails closed within its timeout.
    await expect(policy.begin({ account: 'alice' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE' });
    expect(await closeOrHang(() => policy.close())).toBe('closed');
    process.kill(redis.pid, 'SIGCONT');
    await waitUntil(async () => (await redis.otherClients()) === 0, { timeoutMs: 5_000, what: 'the connection gone once Redis thawed' });
  });

  it('warns when Redis may evict keys (allkeys-lru), and not under noeviction', async () => {
    const evicting = await server(['--maxmemory-policy', 'allkeys-lru']);
    const logger = capturingLogger();
    const store = redisLockoutStore({ connection: evicting.url, keyPrefix: 'connection:', logger });
    cleanups.push(() => store.close?.() ?? Promise.resolve());
    await waitUntil(() => Promise.resolve(logger.warnings.length > 0), { timeoutMs: 5_000, what: 'the eviction warning' });
    expect(logger.warnings).toEqual([{ message: expect.stringContaining('maxmemory-policy noeviction') as unknown, fields: { maxmemoryPolicy: 'allkeys-lru', maxmemory: '0' } }]);

    const safe = await server();
    const quiet = capturingLogger();
    const safeStore = redisLockoutStore({ connection: safe.url, keyPrefix: 'connection:', logger: quiet });
    cleanups.push(() => safeStore.close?.() ?? Promise.resolve());
    // The check's reply comes before this call's on the one connection: it has been read by now.
    expect(await safeStore.status({ key: 'a:x', scope: 'account', slot: 'a:x' }, Date.now())).toBeNull();
    expect(quiet.warnings).toEqual([]);
  });
});

it('refuses a malformed connection URL when it is built, without the URL or its password in the error', () => {
  let refusal: unknown;
  try {
    redisLockoutStore({ connection: 'redis://:S3cret-Redis-Pw@127.0.0.1:63x9/0' });
  } catch (error) {
    refusal = error;
  }
  expect(refusal).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
  const cause = (refusal as { cause?: unknown }).cause;
  const seen = [String(refusal), JSON.stringify(refusal), String(cause), JSON.stringify(cause), (refusal as Error).stack ?? ''].join('\n');
  expect(seen).not.toContain('S3cret-Redis-Pw');
  expect(seen).not.toContain('63x9');
});
