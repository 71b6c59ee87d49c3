/**
 * Secrets that used to reach an error through a side door: a malformed bearer token quoted by fetch's own
 * TypeError (kept as the error's cause), a header value likewise, and passwords the service echoes in the
 * `details` of its error body (kept unscrubbed, shown by util.inspect and in $batch item errors).
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { buildLocalAccountUser, isGraphError } from '../../src/graph/index.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { captureLogger, emulatorClient, uniqueEmail } from './helpers.js';

let emulator: GraphEmulator;
beforeAll(async () => {
  emulator = await startGraphEmulator();
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  emulator.setFaults({});
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof Error)) throw new Error(`expected an Error, got ${String(error)}`);
  return error;
}

const views = (error: Error): string[] => [error.message, JSON.stringify(error), inspect(error, { depth: 10 })];

describe('a bearer token that is not visible ASCII', () => {
  it.each([
    ['a newline', 'eyJ0eXAi.TOKENSECRET\r\nX-Injected: 1'],
    ['a NUL', 'eyJ0eXAi.TOKEN\u0000SECRET'],
    ['a character over U+00FF', 'eyJ0eXAi.TOKENSECRET€'],
    ['a space', 'eyJ0eXAi. TOKENSECRET'],
  ])('with %s is refused before use, typed, not retried, and not quoted', async (_what, token) => {
    let fetches = 0;
    const { logger, lines } = captureLogger();
    const { client, waits } = emulatorClient(emulator, {
      clientId: undefined,
      clientSecret: undefined,
      credential: { getToken: () => Promise.resolve({ token, expiresAt: Date.now() + 3_600_000 }) },
      logger,
      fetch: (input, init) => {
        fetches++;
        return fetch(input, init);
      },
    });
    const from = emulator.requests.length;

    const error = await rejection(client.getUser('some-id'));
    expect(isGraphError(error) && error.code).toBe('ERR_LEGACY_IDP_GRAPH_AUTH');
    expect(error.cause).toBeUndefined();
    for (const text of [...views(error), ...lines]) expect(text).not.toContain('SECRET');
    expect(fetches).toBe(0);
    expect(waits).toEqual([]);
    expect(emulator.requests.length).toBe(from);
  });

  it('an empty token is refused as well', async () => {
    const { client } = emulatorClient(emulator, {
      clientId: undefined,
      clientSecret: undefined,
      credential: { getToken: () => Promise.resolve({ token: '', expiresAt: Date.now() + 3_600_000 }) },
    });
    const error = await rejection(client.getUser('some-id'));
    expect(isGraphError(error) && error.code).toBe('ERR_LEGACY_IDP_GRAPH_AUTH');
  });
});

describe('a header value HTTP cannot carry', () => {
  it('is refused before sending, as invalid input, without a cause that quotes it', async () => {
    const { client, waits } = emulatorClient(emulator);
    const from = emulator.summary().requestCount;
    const error = await rejection(client.request({ method: 'GET', path: '/users/some-id', headers: { 'x-custom': 'HEADERSECRET\r\nX-Injected: 1' } }));
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_INVALID_INPUT')).toBe(true);
    expect(error.message).toContain('x-custom');
    expect(error.cause).toBeUndefined();
    for (const text of views(error)) expect(text).not.toContain('HEADERSECRET');
    expect(waits).toEqual([]);
    expect(emulator.summary().requestCount).toBe(from);
  });
});

describe('a password the service echoes in error.details', () => {
  const password = 'ECHOED-Passw0rd!';
  const user = () => buildLocalAccountUser({ tenant: emulator.tenantDomain, issuerAssignedId: uniqueEmail('echo'), password });

  it('is scrubbed from the details of a create or update error', async () => {
    const { client } = emulatorClient(emulator);
    const existing = await client.createUser(buildLocalAccountUser({ tenant: emulator.tenantDomain, issuerAssignedId: uniqueEmail('echo'), password: 'Other-Passw0rd!' }));
    emulator.setFaults({ echoPassword: true });
    const created = await rejection(client.createUser(user()));
    const updated = await rejection(client.updateUser(existing.id, { passwordProfile: { password, forceChangePasswordNextSignIn: false } }));
    for (const error of [created, updated]) {
      if (!isGraphError(error)) throw error;
      expect(error.status).toBe(400);
      expect(error.details[0]?.message).toContain('[redacted]');
      for (const text of views(error)) expect(text).not.toContain(password);
    }
  });

  it('is scrubbed from the errors of $batch items', async () => {
    emulator.setFaults({ echoPassword: true });
    const { client } = emulatorClient(emulator);
    const results = await client.batch([
      { method: 'POST', url: '/users', body: user() },
      { method: 'POST', url: '/users', body: user() },
    ]);
    for (const result of results) {
      expect(result.status).toBe(400);
      const error = result.error;
      if (error === undefined) throw new Error('expected an item error');
      expect(error.details[0]?.message).toContain('[redacted]');
      for (const text of views(error)) expect(text).not.toContain(password);
    }
  });
});
