import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, listenTcp, withFreshPorts } from '../harness/process.js';

/** The harness's port picking, which every spawned server (slapd, redis-server) relies on. */
describe('harness ports', () => {
  it('picks a port below the ephemeral range that a server can listen on', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_000);
    }
    const server = createServer();
    try {
      expect(await listenTcp(server, ports[0] as number)).toBe(ports[0]);
    } finally {
      server.close();
    }
  });

  it('starts again on fresh ports when the server exited before it was ready, at most three times', async () => {
    let starts = 0;
    const flaky = (): Promise<string> => {
      starts++;
      return starts < 3 ? Promise.reject(new Error('slapd exited with 1 before it was ready: ')) : Promise.resolve('up');
    };
    expect(await withFreshPorts(flaky)).toBe('up');
    expect(starts).toBe(3);
    starts = 0;
    const broken = (): Promise<string> => {
      starts++;
      return Promise.reject(new Error('redis-server on port 1 exited with 1 before it was ready: '));
    };
    await expect(withFreshPorts(broken)).rejects.toThrow(/before it was ready/u);
    expect(starts).toBe(3);
  });

  it('does not retry any other failure', async () => {
    let starts = 0;
    const wrong = (): Promise<string> => {
      starts++;
      return Promise.reject(new Error('slapd was not ready after 10000 ms'));
    };
    await expect(withFreshPorts(wrong)).rejects.toThrow('not ready after');
    expect(starts).toBe(1);
  });
});
