import { afterAll, expect, it } from 'vitest';
import { connectRedis, createRedisKeyPrefix, describeWithService, type RedisKeyPrefix } from '../harness/services.js';

describeWithService('redis', 'Redis harness (shared server, key prefix per run)', () => {
  const prefixes: RedisKeyPrefix[] = [];

  afterAll(async () => {
    for (const prefix of prefixes) await prefix.cleanup();
  });

  it('isolates keys under a random prefix and cleanup deletes exactly those keys', async () => {
    const mine = createRedisKeyPrefix();
    const neighbour = createRedisKeyPrefix();
    prefixes.push(mine, neighbour);
    expect(mine.prefix).toMatch(/^test_[0-9a-f]{16}:$/);
    expect(neighbour.prefix).not.toBe(mine.prefix);

    const redis = connectRedis(mine.url);
    await redis.connect();
    try {
      // Enough keys that SCAN needs more than one round trip.
      const keys = Array.from({ length: 1200 }, (_unused, index) => `${mine.prefix}lockout:${String(index)}`);
      await redis.mset(...keys.flatMap((key, index) => [key, String(index)]));
      await redis.hset(`${mine.prefix}user:alice`, { failures: '2' });
      await redis.set(`${neighbour.prefix}user:alice`, 'not mine');
      expect(await redis.get(`${mine.prefix}lockout:7`)).toBe('7');
      expect(await redis.hget(`${mine.prefix}user:alice`, 'failures')).toBe('2');

      expect(await mine.cleanup()).toBe(1201);
      expect(await redis.keys(`${mine.prefix}*`)).toEqual([]);
      expect(await redis.get(`${neighbour.prefix}user:alice`)).toBe('not mine');
      expect(await neighbour.cleanup()).toBe(1);
    } finally {
      redis.disconnect();
    }
  });
});
