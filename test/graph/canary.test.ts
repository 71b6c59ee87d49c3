/**
 * Canary: the client secret and users' passwords never reach an error (message, JSON, inspected object) or a
 * log line, whatever goes wrong: refused credentials, conflicts, refused passwords, throttling, outages,
 * timeouts, batch item failures, or a service that echoes the password back in its error text.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLocalAccountUser, createGraphClient, type BatchRequest } from '../../src/graph/index.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { captureLogger, emulatorClient } from './helpers.js';

const clientSecret = 'CANARY-client-secret-7Qx~9v';
const wrongSecret = 'CANARY-wrong-secret-3Hk~2p';
const strongPassword = 'CANARY-Strong#Pass-1';
const weakPassword = 'canaryweakpassword';

let emulator: GraphEmulator;
beforeAll(async () => {
  emulator = await startGraphEmulator({ clientSecret, writeQuota: { limit: 6, windowMs: 60_000 } });
});
afterAll(async () => {
  await emulator.close();
});

const canaries = [clientSecret, wrongSecret, strongPassword, weakPassword, 'CANARY'];

function expectClean(texts: readonly string[]): void {
  for (const text of texts) for (const canary of canaries) expect(text).not.toContain(canary);
}

const userWith = (email: string, password: string) => buildLocalAccountUser({ tenant: emulator.tenantDomain, issuerAssignedId: email, password });

describe('canary', () => {
  it('keeps secrets and passwords out of every error and log line', async () => {
    const { logger, lines } = captureLogger();
    const errors: unknown[] = [];
    const record = (promise: Promise<unknown>): Promise<void> =>
      promise.then(
        () => undefined,
        (error: unknown) => {
          errors.push(error);
        },
      );
    const { client } = emulatorClient(emulator, { logger, timeoutMs: 200, maxRetries: 2, random: () => 0.5, backoffBaseMs: 10 });

    await client.createUser(userWith('canary1@example.com', strongPassword));
    await record(client.createUser(userWith('canary1@example.com', strongPassword))); // ObjectConflict
    await record(client.createUser(userWith('canary2@example.com', weakPassword))); // complexity
    await record(client.updateUser('missing', { passwordProfile: { password: strongPassword, forceChangePasswordNextSignIn: false } }));

    let start = emulator.summary().requestCount;
    emulator.setFaults({ throttle: { on: [start + 1], retryAfter: '0.1' }, unavailable: { on: [start + 2] } });
    await client.createUser(userWith('canary3@example.com', strongPassword));
    emulator.setFaults({ unavailable: { every: 1 } });
    await record(client.createUser(userWith('canary4@example.com', strongPassword)));
    start = emulator.summary().requestCount;
    emulator.setFaults({ delay: { on: [start + 1], ms: 2_000 } });
    await record(client.createUser(userWith('canary5@example.com', strongPassword)));
    emulator.setFaults({});

    const batch: BatchRequest[] = Array.from({ length: 8 }, (_, i) => ({
      method: 'POST',
      url: '/users',
      body: userWith(i === 0 ? 'canary1@example.com' : `canary-batch${i}@example.com`, i === 1 ? weakPassword : strongPassword),
    }));
    const results = await client.batch(batch);
    expect(results.map((result) => result.status)).toContain(429);
    errors.push(...results.map((result) => result.error).filter((error) => error !== undefined));

    const { client: refused } = emulatorClient(emulator, { logger, clientSecret: wrongSecret });
    await record(refused.getUser('x'));

    expect(errors.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeGreaterThan(10);
    expectClean(lines);
    expectClean(errors.map((error) => (error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error))));
    expectClean(errors.map((error) => JSON.stringify(error)));
    expectClean(errors.map((error) => inspect(error, { depth: 10 })));
  });

  it('redacts a password or the client secret that the service echoes in its error message', async () => {
    const echo = (input: string, init: RequestInit): Promise<Response> => {
      if (input.includes('/oauth2/')) return Promise.resolve(Response.json({ access_token: 't', expires_in: 3600 }));
      const message = `rejected ${typeof init.body === 'string' ? init.body : ''} for app secret ${clientSecret}`;
      return Promise.resolve(Response.json({ error: { code: 'Request_BadRequest', message } }, { status: 400 }));
    };
    const { logger, lines } = captureLogger();
    const client = createGraphClient({ tenantId: 't', clientId: 'c', clientSecret, fetch: echo, logger });
    const error: unknown = await client.createUser(userWith('echo@example.com', strongPassword)).catch((reason: unknown) => reason);
    expect((error as Error).message).toContain('[redacted]');
    expectClean([(error as Error).message, JSON.stringify(error), inspect(error, { depth: 10 }), ...lines]);
  });
});
