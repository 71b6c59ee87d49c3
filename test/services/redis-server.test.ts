import { afterAll, expect, it } from 'vitest';
import { connectRedis, describeWithService, startRedisServer, type RedisServerInstance } from '../harness/services.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeWithService('redis-server', 'dedicated redis-server for fault tests', () => {
  let server: RedisServerInstance | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('starts a private server on a free port, answers PING, and refuses connections once stopped', async () => {
    server = await startRedisServer();
    expect(server.port).not.toBe(6379);
    expect(processAlive(server.pid)).toBe(true);

    const before = connectRedis(server.url);
    await before.connect();
    expect(await before.ping()).toBe('PONG');
    await before.set('fault-test', 'ok');
    expect(await before.get('fault-test')).toBe('ok');
    before.disconnect();

    await server.stop();
    expect(processAlive(server.pid)).toBe(false);

    // ioredis reports the socket error as an 'error' event and rejects connect() more vaguely.
    const after = connectRedis(server.url);
    const errors: unknown[] = [];
    after.on('error', (error: unknown) => errors.push(error));
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
    expect(errors).toContainEqual(expect.objectContaining({ code: 'ECONNREFUSED' }));
  });
});
