/**
 * What the client accepts as an answer: Retry-After only in RFC 9110's forms (loose text such as "x 1" used
 * to parse as a past date, so retries went without any wait), success bodies only as JSON (an HTML page with
 * 200 used to make updateUser succeed), and bodies only up to maxResponseBytes (a 300 MB body used to be read
 * whole).
 */
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGraphClient, parseRetryAfter } from '../../src/graph/index.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { caught, emulatorClient, fakeClock } from './helpers.js';
import { fixedCredential, startLocalServer, type LocalServer } from './local-server.js';

describe('Retry-After', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');

  it('reads delta-seconds and the three HTTP-date forms of RFC 9110', () => {
    expect(parseRetryAfter('2.128', now)).toBe(2128);
    expect(parseRetryAfter('Sat, 01 Mar 2025 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Saturday, 01-Mar-25 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sat Mar  1 12:00:10 2025', now)).toBe(10_000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 11:00:00 GMT', now)).toBe(0);
  });

  it.each(['x 1', 'abc 99', 'Mar 1', 'foo 2030', '2025-03-01T12:00:10Z', 'Sat, 01 Mar 2025 12:00:10 UTC', 'Sat, 31 Feb 2025 12:00:10 GMT', 'Sat, 1 Mar 2025 12:00:10 GMT'])(
    'does not take %j for a date',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );

  describe('on a 429 from the emulator', () => {
    let emulator: GraphEmulator;
    beforeAll(async () => {
      emulator = await startGraphEmulator();
    });
    afterAll(async () => {
      await emulator.close();
    });

    const waitsFor = async (retryAfter: string): Promise<number[]> => {
      const clock = fakeClock(now);
      const { client, waits } = emulatorClient(emulator, { random: () => 0.5, backoffBaseMs: 100 }, clock);
      emulator.setFaults({ throttle: { on: [emulator.summary().requestCount + 1], retryAfter } });
      expect(await client.getUser('missing')).toBeNull();
      emulator.setFaults({});
      return waits;
    };

    it.each(['x 1', 'abc 99', 'Mar 1'])('falls back to backoff for %j instead of retrying at once', async (value) => {
      expect(await waitsFor(value)).toEqual([50]);
    });

    it.each(['Sat, 01 Mar 2025 12:00:02 GMT', 'Saturday, 01-Mar-25 12:00:02 GMT', 'Sat Mar  1 12:00:02 2025'])('waits until the date %j', async (value) => {
      expect(await waitsFor(value)).toEqual([2000]);
    });
  });
});

describe('answer bodies', () => {
  let server: LocalServer;
  /** What the scripted Graph answers next: status, content-type, body. */
  let next: { status: number; type?: string; body?: string } = { status: 204 };
  /** Bytes of the endless body written before the client hung up. */
  let streamed = 0;

  const stream = (res: ServerResponse, headers: Record<string, string>): void => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const total = 300 * 1024 * 1024;
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    let closed = false;
    res.once('close', () => {
      closed = true;
    });
    const pump = (): void => {
      while (!closed && streamed < total) {
        streamed += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed) res.end('{"id":"huge"}');
    };
    pump();
  };

  beforeAll(async () => {
    server = await startLocalServer((request, res) => {
      if (request.url.includes('/users/huge')) {
        stream(res, request.url.includes('declared') ? { 'content-length': String(300 * 1024 * 1024 + 13) } : {});
        return;
      }
      res.writeHead(next.status, next.type === undefined ? {} : { 'content-type': next.type }).end(next.body);
    });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    server.received.length = 0;
    streamed = 0;
  });

  const client = (timeoutMs = 10_000) =>
    createGraphClient({ tenantId: 'contoso.onmicrosoft.com', credential: fixedCredential, graphUrl: server.url, sleep: () => Promise.resolve(), timeoutMs });

  it('refuses a 200 HTML page as the answer to a PATCH, without retrying', async () => {
    next = { status: 200, type: 'text/html; charset=utf-8', body: '<html><body>Sign in to the proxy</body></html>' };
    const error = await caught(client().updateUser('some-id', { displayName: 'Ada' }));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_ERROR');
    expect(error.status).toBe(200);
    expect(error.message).toContain('not JSON (text/html; charset=utf-8)');
    expect(error.message).not.toContain('Sign in');
    expect(server.received).toHaveLength(1);
  });

  it('refuses a success body that says JSON but is not, or is JSON under another content-type', async () => {
    next = { status: 200, type: 'application/json', body: '{"id":"trunc' };
    expect((await caught(client().getUser('some-id'))).message).toContain('not JSON');
    next = { status: 201, type: 'text/plain', body: '{"id":"created"}' };
    expect((await caught(client().createUser({ displayName: 'Ada' }))).message).toContain('not JSON (text/plain)');
  });

  it("takes Graph's own answers: 204 without a body, JSON with OData parameters", async () => {
    next = { status: 204 };
    await expect(client().updateUser('some-id', { displayName: 'Ada' })).resolves.toBeUndefined();
    next = { status: 200, type: 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8', body: '{"id":"u1"}' };
    expect(await client().getUser('u1')).toEqual({ id: 'u1' });
    // A large but sane answer is read whole.
    next = { status: 200, type: 'application/json', body: JSON.stringify({ id: 'u2', note: 'x'.repeat(2 * 1024 * 1024) }) };
    expect((await client().getUser('u2'))?.id).toBe('u2');
  });

  it.each([
    ['chunked', 'huge'],
    ['with a Content-Length', 'huge-declared'],
  ])('stops reading a %s body over maxResponseBytes and fails', async (_what, id) => {
    const error = await caught(client(60_000).getUser(id));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_ERROR');
    expect(error.message).toContain(`over ${16 * 1024 * 1024} bytes`);
    expect(server.received).toHaveLength(1);
    // The server stops at the hang-up: far less than the 300 MiB it had to send.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(streamed).toBeLessThan(48 * 1024 * 1024);
  });
});
