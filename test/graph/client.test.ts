import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import {
  buildLocalAccountUser,
  conflictTarget,
  extensionAttributeName,
  generateCompliantPassword,
  isObjectConflict,
  type ThrottleInfo,
} from '../../src/graph/index.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { caught, emulatorClient, fakeClock, uniqueEmail } from './helpers.js';

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

const localUser = (email: string, password = generateCompliantPassword()) =>
  buildLocalAccountUser({ tenant: emulator.tenantDomain, issuerAssignedId: email, password, displayName: 'Test User' });

/** The log entries of Graph requests made since `from` (an index into emulator.requests). */
const graphRequestsSince = (from: number) => emulator.requests.slice(from).filter((entry) => entry.kind === 'graph');

describe('tokens', () => {
  it('fetches one token for many calls, parallel ones included', async () => {
    const before = emulator.summary().tokenRequestCount;
    const { client } = emulatorClient(emulator);
    await Promise.all(Array.from({ length: 10 }, () => client.createUser(localUser(uniqueEmail()))));
    for (let i = 0; i < 5; i++) await client.findUserByIdentity({ issuer: emulator.tenantDomain, issuerAssignedId: uniqueEmail() });
    expect(emulator.summary().tokenRequestCount - before).toBe(1);
  });

  it('refreshes before expiry: at half the lifetime when that is under 5 minutes', async () => {
    const clock = fakeClock();
    const local = await startGraphEmulator({ now: clock.now, tokenLifetimeSeconds: 120 });
    try {
      const { client } = emulatorClient(local, {}, clock);
      await client.getUser('none');
      clock.advance(59_000);
      await client.getUser('none');
      expect(local.summary().tokenRequestCount).toBe(1);
      clock.advance(2_000);
      await client.getUser('none');
      expect(local.summary().tokenRequestCount).toBe(2);
      expect(local.requests.filter((entry) => entry.status === 401)).toEqual([]);
    } finally {
      await local.close();
    }
  });

  it('refreshes 5 minutes before expiry for an hour-long token', async () => {
    const clock = fakeClock();
    const local = await startGraphEmulator({ now: clock.now, tokenLifetimeSeconds: 3600 });
    try {
      const { client } = emulatorClient(local, {}, clock);
      await client.getUser('none');
      clock.advance(3_299_000);
      await client.getUser('none');
      expect(local.summary().tokenRequestCount).toBe(1);
      clock.advance(2_000);
      await client.getUser('none');
      expect(local.summary().tokenRequestCount).toBe(2);
    } finally {
      await local.close();
    }
  });

  it('fetches a new token once when Graph answers 401 InvalidAuthenticationToken mid-run', async () => {
    const local = await startGraphEmulator({ tokenMaxUses: 3 });
    try {
      const { client, waits } = emulatorClient(local);
      for (let i = 0; i < 7; i++) expect(await client.getUser(`missing-${i}`)).toBeNull();
      // Token A serves calls 1-3, B (after a 401) 4-6, C (after a 401) the 7th.
      expect(local.summary().tokenRequestCount).toBe(3);
      expect(local.requests.filter((entry) => entry.kind === 'graph' && entry.status === 401)).toHaveLength(2);
      expect(waits).toEqual([]);
    } finally {
      await local.close();
    }
  });

  it('refreshes once for many parallel calls refused at the same time', async () => {
    const local = await startGraphEmulator();
    try {
      const { client } = emulatorClient(local);
      await client.getUser('warm-up');
      local.revokeTokens();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.getUser(`p${i}`)));
      expect(results).toEqual(Array<null>(20).fill(null));
      expect(local.summary().tokenRequestCount).toBe(2);
      expect(local.requests.filter((entry) => entry.status === 401)).toHaveLength(20);
    } finally {
      await local.close();
    }
  });

  it('gives up with ERR_LEGACY_IDP_GRAPH_AUTH when a fresh token is refused too', async () => {
    const local = await startGraphEmulator({ tokenMaxUses: 0 });
    try {
      const { client } = emulatorClient(local);
      const error = await caught(client.getUser('x'));
      expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_AUTH');
      expect(error.status).toBe(401);
      expect(error.graphCode).toBe('InvalidAuthenticationToken');
      expect(local.summary().tokenRequestCount).toBe(2);
      expect(local.summary().requestCount).toBe(2);
    } finally {
      await local.close();
    }
  });

  it('reports refused client credentials with the AADSTS code, not the secret', async () => {
    const { client } = emulatorClient(emulator, { clientSecret: 'wrong-secret-value-123' });
    const error = await caught(client.getUser('x'));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_AUTH');
    expect(error.status).toBe(401);
    expect(error.graphCode).toBe('invalid_client');
    expect(error.message).toMatch(/AADSTS7000215/u);
    expect(error.message).not.toContain('wrong-secret-value-123');
  });

  it('retries the token endpoint on 503', async () => {
    const local = await startGraphEmulator({ faults: { token: { on: [1] } } });
    try {
      const { client, waits } = emulatorClient(local, { random: () => 0.5, backoffBaseMs: 100 });
      expect(await client.getUser('x')).toBeNull();
      expect(local.summary().tokenRequestCount).toBe(2);
      expect(waits).toEqual([50]);
    } finally {
      await local.close();
    }
  });

  it('uses a caller-supplied credential instead of the client-credentials grant', async () => {
    const local = await startGraphEmulator();
    try {
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: local.clientId, client_secret: local.clientSecret, scope: `${local.url}/.default` });
      let calls = 0;
      const { client } = emulatorClient(local, {
        clientId: undefined,
        clientSecret: undefined,
        credential: {
          async getToken() {
            calls++;
            const answer = (await (await fetch(`${local.url}/${local.tenantId}/oauth2/v2.0/token`, { method: 'POST', body: form })).json()) as { access_token: string };
            return { token: answer.access_token, expiresAt: Date.now() + 3_600_000 };
          },
        },
      });
      expect(await client.getUser('x')).toBeNull();
      expect(await client.getUser('y')).toBeNull();
      expect(calls).toBe(1);
    } finally {
      await local.close();
    }
  });
});

describe('users', () => {
  it('creates a user, then answers ObjectConflict for the same identity', async () => {
    const { client } = emulatorClient(emulator);
    const email = uniqueEmail('conflict');
    const created = await client.createUser(localUser(email));
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/u);
    expect(emulator.users.get(created.id)?.identities).toEqual([{ signInType: 'emailAddress', issuer: emulator.tenantDomain, issuerAssignedId: email }]);

    const error = await caught(client.createUser(localUser(email.toUpperCase())));
    expect(isObjectConflict(error)).toBe(true);
    expect(conflictTarget(error)).toBe('identities');
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_ERROR');
    expect(error.status).toBe(400);
    expect(error.graphCode).toBe('Request_BadRequest');
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/u);
    expect(error.clientRequestId).toMatch(/^[0-9a-f-]{36}$/u);
    expect(error.message).toMatch(/Another object with the same value for property identities already exists/u);
  });

  it('answers ObjectConflict on userPrincipalName too', async () => {
    const { client } = emulatorClient(emulator);
    const upn = `fixed-upn-1@${emulator.tenantDomain}`;
    await client.createUser({ ...localUser(uniqueEmail()), userPrincipalName: upn });
    const error = await caught(client.createUser({ ...localUser(uniqueEmail()), userPrincipalName: upn }));
    expect(isObjectConflict(error)).toBe(true);
    expect(conflictTarget(error)).toBe('userPrincipalName');
  });

  it('finds a user by an identity holding a quote, with the quote doubled in the filter', async () => {
    const { client } = emulatorClient(emulator);
    const email = `o'brien.${Date.now()}@example.com`;
    const created = await client.createUser(localUser(email));
    const from = emulator.requests.length;
    const found = await client.findUserByIdentity({ issuer: emulator.tenantDomain, issuerAssignedId: email, signInType: 'emailAddress' });
    expect(found?.id).toBe(created.id);
    expect(found?.identities?.[0]?.issuerAssignedId).toBe(email);
    const path = decodeURIComponent(graphRequestsSince(from)[0]?.path ?? '');
    expect(path).toContain(`c/issuerAssignedId eq '${email.replace("'", "''")}'`);
    expect(await client.findUserByIdentity({ issuer: emulator.tenantDomain, issuerAssignedId: "o'brien@nowhere.example" })).toBeNull();
  });

  it('matches the sign-in type when asked: a user name is not an e-mail identity', async () => {
    const { client } = emulatorClient(emulator);
    const name = `jsmith${Date.now()}`;
    const user = buildLocalAccountUser({ tenant: emulator.tenantDomain, signInType: 'userName', issuerAssignedId: name, password: generateCompliantPassword() });
    const created = await client.createUser(user);
    expect(user.displayName).toBe(name);
    expect((await client.findUserByIdentity({ issuer: emulator.tenantDomain, issuerAssignedId: name, signInType: 'userName' }))?.id).toBe(created.id);
    expect(await client.findUserByIdentity({ issuer: emulator.tenantDomain, issuerAssignedId: name, signInType: 'emailAddress' })).toBeNull();
  });

  it('reads and updates a user, extension attributes included', async () => {
    const { client } = emulatorClient(emulator);
    const appId = 'a1b2c3d4-0000-4000-8000-1234567890ab';
    const flag = extensionAttributeName(appId, 'requiresMigration');
    const created = await client.createUser(
      buildLocalAccountUser({
        tenant: emulator.tenantDomain,
        issuerAssignedId: uniqueEmail(),
        password: generateCompliantPassword(),
        givenName: 'Ada',
        extensionAppId: appId,
        extensions: { requiresMigration: true },
      }),
    );
    expect((await client.getUser(created.id, [flag, 'givenName']))?.[flag]).toBe(true);
    await client.updateUser(created.id, { [flag]: false, surname: 'Lovelace' });
    const after = await client.getUser(created.id, [flag, 'surname', 'passwordPolicies']);
    expect(after).toMatchObject({ id: created.id, [flag]: false, surname: 'Lovelace', passwordPolicies: 'DisablePasswordExpiration' });
    expect(await client.getUser('00000000-0000-0000-0000-000000000000')).toBeNull();
  });

  it('speaks the beta endpoint when asked', async () => {
    const { client } = emulatorClient(emulator, { apiVersion: 'beta' });
    const from = emulator.requests.length;
    const created = await client.createUser(localUser(uniqueEmail()));
    expect((await client.getUser(created.id))?.id).toBe(created.id);
    expect(graphRequestsSince(from).map((entry) => `${entry.status} ${entry.path}`)).toEqual([`201 /beta/users`, `200 /beta/users/${created.id}`]);
  });

  it('refuses a weak password with 400 and does not retry it (one request)', async () => {
    const { client, waits } = emulatorClient(emulator);
    const from = emulator.requests.length;
    const error = await caught(client.createUser(localUser(uniqueEmail(), 'alllowercase')));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_ERROR');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/does not comply with password complexity requirements/u);
    expect(isObjectConflict(error)).toBe(false);
    expect(graphRequestsSince(from)).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('accepts that password with DisableStrongPassword', async () => {
    const { client } = emulatorClient(emulator);
    const user = buildLocalAccountUser({ tenant: emulator.tenantDomain, issuerAssignedId: uniqueEmail(), password: 'alllowercase', disableStrongPassword: true });
    expect(user.passwordPolicies).toBe('DisablePasswordExpiration, DisableStrongPassword');
    expect((await client.createUser(user)).id).toBeTypeOf('string');
  });
});

describe('retries', () => {
  it('honours a fractional Retry-After on 429, then succeeds', async () => {
    const { client, waits } = emulatorClient(emulator);
    const start = emulator.summary().requestCount;
    emulator.setFaults({ throttle: { on: [start + 1], retryAfter: '0.2' } });
    const from = emulator.requests.length;
    await client.createUser(localUser(uniqueEmail()));
    expect(waits).toEqual([200]);
    expect(graphRequestsSince(from).map((entry) => entry.status)).toEqual([429, 201]);
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const clock = fakeClock();
    const local = await startGraphEmulator({ now: clock.now, faults: { throttle: { on: [1], retryAfter: new Date(clock.now() + 3_000).toUTCString() } } });
    try {
      const { client, waits } = emulatorClient(local, {}, clock);
      expect(await client.getUser('x')).toBeNull();
      expect(waits).toEqual([3_000]);
    } finally {
      await local.close();
    }
  });

  it('retries 503 (with its Retry-After) and then succeeds', async () => {
    const { client, waits } = emulatorClient(emulator);
    const start = emulator.summary().requestCount;
    emulator.setFaults({ unavailable: { on: [start + 1], retryAfter: '1.5' } });
    await client.createUser(localUser(uniqueEmail()));
    expect(waits).toEqual([1_500]);
  });

  it('backs off with full jitter when there is no Retry-After (500, 502, 504 too)', async () => {
    const randoms = [0.5, 0.25, 0.999];
    const { client, waits } = emulatorClient(emulator, { backoffBaseMs: 100, backoffMaxMs: 250, random: () => randoms.shift() ?? 0 });
    const start = emulator.summary().requestCount;
    emulator.setFaults({ unavailable: { on: [start + 1, start + 2, start + 3], status: 502 } });
    expect(await client.getUser('x')).toBeNull();
    // min(cap, base * 2^n) scaled by random(): 0.5 * 100, 0.25 * 200, 0.999 * 250 (capped).
    expect(waits).toEqual([50, 50, 249]);
  });

  it('stops after maxRetries with ERR_LEGACY_IDP_GRAPH_UNAVAILABLE and the last status', async () => {
    const { client, waits } = emulatorClient(emulator, { maxRetries: 2, random: () => 0 });
    emulator.setFaults({ unavailable: { every: 1 } });
    const from = emulator.requests.length;
    const error = await caught(client.getUser('x'));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(graphRequestsSince(from)).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('does not wait out a Retry-After above maxRetryAfterMs', async () => {
    const { client, waits } = emulatorClient(emulator, { maxRetryAfterMs: 60_000 });
    emulator.setFaults({ throttle: { every: 1, retryAfter: '150' } });
    const error = await caught(client.getUser('x'));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE');
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(150);
    expect(waits).toEqual([]);
  });

  it('sends one client-request-id across the retries of a call, and the throttle priority', async () => {
    const seen: Record<string, string>[] = [];
    const answers = [503, 200];
    const stub = (input: string, init: RequestInit): Promise<Response> => {
      if (input.includes('/oauth2/')) return Promise.resolve(Response.json({ access_token: 't', expires_in: 3600 }));
      seen.push(init.headers as Record<string, string>);
      return Promise.resolve(Response.json({ id: 'u1' }, { status: answers.shift() ?? 500 }));
    };
    const { client, waits } = emulatorClient(emulator, { fetch: stub, throttlePriority: 'Low', random: () => 0 });
    expect(await client.getUser('u1', undefined, { throttlePriority: 'High' })).toEqual({ id: 'u1' });
    expect(waits).toEqual([0]);
    expect(seen.map((headers) => headers['x-ms-throttle-priority'])).toEqual(['High', 'High']);
    expect(seen[0]?.['client-request-id']).toMatch(/^[0-9a-f-]{36}$/u);
    expect(seen[1]?.['client-request-id']).toBe(seen[0]?.['client-request-id']);
    expect(seen[0]?.authorization).toBe('Bearer t');
  });

  it('reports throttling headers through onThrottleInfo', async () => {
    const clock = fakeClock();
    const local = await startGraphEmulator({ now: clock.now, writeQuota: { limit: 10, windowMs: 60_000 } });
    try {
      const infos: ThrottleInfo[] = [];
      const { client, waits } = emulatorClient(local, { onThrottleInfo: (info) => infos.push(info) }, clock);
      for (let i = 0; i < 11; i++) await client.createUser(buildLocalAccountUser({ tenant: local.tenantDomain, issuerAssignedId: uniqueEmail(), password: generateCompliantPassword() }));
      expect(infos[0]).toMatchObject({ status: 201, method: 'POST', path: '/users', resourceUnits: 5 });
      expect(infos.find((info) => info.limitPercentage !== undefined)?.limitPercentage).toBeGreaterThan(0.8);
      const throttled = infos.find((info) => info.status === 429);
      // The 11th create waits for one write unit: 60 s / 10 = 6 s.
      expect(throttled).toMatchObject({ information: 'WriteLimitExceeded', retryAfterSeconds: 6 });
      expect(throttled?.scope).toContain(local.clientId);
      expect(waits).toEqual([6_000]);
    } finally {
      await local.close();
    }
  });
});

describe('timeouts and deadlines', () => {
  it('aborts a request after timeoutMs with a typed error, without retrying it', async () => {
    const { client } = emulatorClient(emulator, { timeoutMs: 100 });
    await client.getUser('warm-up');
    const start = emulator.summary().requestCount;
    emulator.setFaults({ delay: { on: [start + 1], ms: 600 } });
    const error = await caught(client.getUser('x'));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE');
    expect(error.message).toMatch(/timed out after 100 ms/u);
    expect(error.status).toBeUndefined();
    expect(emulator.summary().requestCount).toBe(start + 1);
    await client.getUser('after');
    // The held-back request was never executed: the emulator logs it without an answer.
    await expect.poll(() => emulator.requests.find((entry) => entry.seq === start + 1)?.status, { timeout: 10_000 }).toBe(0);
  });

  it('times out even when an injected fetch ignores the abort signal', async () => {
    const { client } = emulatorClient(emulator, { timeoutMs: 50, fetch: () => new Promise<Response>(() => undefined), credential: { getToken: () => Promise.resolve({ token: 't', expiresAt: Date.now() + 3_600_000 }) }, clientId: undefined, clientSecret: undefined });
    const error = await caught(client.getUser('x'));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE');
  });

  it("stops at the caller's deadline, also while waiting to retry", async () => {
    const { client } = emulatorClient(emulator, { sleep: (_ms, signal) =>
        new Promise((resolve) => {
          signal?.addEventListener('abort', () => {
            resolve();
          });
        }),
    });
    emulator.setFaults({ throttle: { every: 1, retryAfter: '30' } });
    const error: unknown = await client.getUser('x', undefined, { signal: AbortSignal.timeout(100) }).catch((reason: unknown) => reason);
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_DEADLINE_EXCEEDED')).toBe(true);
  });

  it('turns a refused connection into ERR_LEGACY_IDP_GRAPH_UNAVAILABLE after its retries', async () => {
    const closed = await startGraphEmulator();
    await closed.close();
    const { client, waits } = emulatorClient(closed, { maxRetries: 1, random: () => 0 });
    const error = await caught(client.getUser('x'));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE');
    expect(error.message).toMatch(/ECONNREFUSED/u);
    expect(waits).toHaveLength(1);
  });
});
