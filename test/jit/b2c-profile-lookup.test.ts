import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { ProfileSource, UserStore } from '../../src/core/contracts.js';
import { createGraphClient } from '../../src/graph/index.js';
import { b2cHandler } from '../../src/jit/b2c.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { emulatorEndpoints } from '../graph/helpers.js';

/**
 * The profile lookup the B2C handler makes itself: for a correct but expired password the Authenticator reads
 * no profile, so the handler does. That lookup must fail the way the Authenticator's own does for `valid` (409
 * unavailable), within the route's deadline, in `claims` and in `create` mode. And the informational claims
 * accept null.
 */

const callerAuth: CallerAuthenticator = () => Promise.resolve({ ok: true, identity: { method: 'api-key' } });

let store: UserStore;
/** A closed store: every get() rejects, as a legacy store that went down after the verification would. */
let downProfiles: UserStore;
let emulator: GraphEmulator;

/** A profile source whose get() never settles and ignores its signal: a hung backend connection. */
const hangingProfiles: ProfileSource = {
  name: 'hanging',
  get: () => new Promise<never>(() => undefined),
  list: () => ({
    [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true as const, value: undefined }) }),
  }),
};

beforeAll(async () => {
  store = await memoryUserStore({
    scryptCost: 2 ** 10,
    users: [
      { username: 'alice@contoso.com', password: 'Legacy-Pass-1', email: 'alice@contoso.com', displayName: 'Alice Liddell' },
      { username: 'erin@contoso.com', password: 'Legacy-Pass-4', email: 'erin@contoso.com', state: 'password_expired', displayName: 'Erin Expired', attributes: { migrated: true } },
    ],
  });
  downProfiles = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'erin@contoso.com', password: 'Legacy-Pass-4' }] });
  await downProfiles.close?.();
  emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com' });
});
afterAll(async () => {
  await store.close?.();
  await emulator.close();
});

/** Loosely typed overrides: the Graph client's own types are wider than the handler's structural ones. */
function handler(overrides: Record<string, unknown>): ReturnType<typeof b2cHandler> {
  return b2cHandler({
    mode: 'claims',
    authenticator: createAuthenticator({ verifier: store, profiles: store, lockout: createLockoutPolicy({ ip: false }) }),
    callerAuth,
    ...overrides,
  });
}

function graph() {
  return createGraphClient({
    ...emulatorEndpoints(emulator),
    maxRetries: 0,
  });
}

async function call(target: ReturnType<typeof b2cHandler>, body: unknown) {
  const response = await target(new Request('https://jit.example/api', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const expired = { signInName: 'erin@contoso.com', password: 'Legacy-Pass-4' };

describe('B2C: the profile lookup after an expired password', () => {
  it('claims mode: a failing lookup answers 409 unavailable, not needToMigrate without claims', async () => {
    const answer = await call(handler({ profiles: downProfiles, debug: true }), expired);
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ code: 'LEGACY_IDP_UNAVAILABLE', userMessage: expect.stringMatching(/cannot check your password right now/u) as unknown });
    expect(answer.body['needToMigrate']).toBeUndefined();
  });

  it('claims mode: a profile source that has no profile for the user answers 409 unavailable, as for valid', async () => {
    const elsewhere = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'someone@contoso.com', password: 'Other-Pass-1' }] });
    try {
      const answer = await call(handler({ profiles: elsewhere, debug: true }), expired);
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ code: 'LEGACY_IDP_UNAVAILABLE' });
      expect(answer.body['needToMigrate']).toBeUndefined();
    } finally {
      await elsewhere.close?.();
    }
  });

  it('claims mode: a working lookup still answers the profile claims and honours the migrated flag', async () => {
    expect((await call(handler({ profiles: store }), expired)).body).toMatchObject({ needToMigrate: 'local', displayName: 'Erin Expired' });
    expect(await call(handler({ profiles: store, migratedAttribute: 'migrated' }), expired)).toEqual({ status: 200, body: {} });
  });

  it('create mode: a failing lookup creates no directory user and answers 409 unavailable', async () => {
    const before = emulator.users.size;
    const marked: string[] = [];
    const target = handler({
      mode: 'create',
      profiles: downProfiles,
      create: {
        graph: graph(),
        tenant: 'contoso.onmicrosoft.com',
        writeBack: {
          markMigrated(subjectId: string) {
            marked.push(subjectId);
            return Promise.resolve(true);
          },
        },
      },
    });
    const answer = await call(target, expired);
    expect(answer.status).toBe(409);
    expect(answer.body['userMessage']).toMatch(/cannot check your password right now/u);
    expect(emulator.users.size).toBe(before);
    expect(marked).toEqual([]);
  });

  it("a lookup that never answers is cut at the route's deadlineMs, in claims and create mode", async () => {
    for (const mode of ['claims', 'create'] as const) {
      const before = emulator.users.size;
      const target = handler({
        mode,
        profiles: hangingProfiles,
        deadlineMs: 400,
        debug: true,
        ...(mode === 'create' ? { create: { graph: graph(), tenant: 'contoso.onmicrosoft.com' } } : {}),
      });
      const started = performance.now();
      const answer = await call(target, expired);
      const elapsed = performance.now() - started;
      expect(answer.status).toBe(409);
      expect(answer.body).toMatchObject({ code: 'LEGACY_IDP_UNAVAILABLE' });
      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(elapsed).toBeLessThan(2_500);
      expect(emulator.users.size).toBe(before);
    }
  });
});

describe('B2C: informational claims sent as null', () => {
  it('locale, objectId and clientIp null count as absent', async () => {
    const signIn = handler({ profiles: store });
    const answer = await call(signIn, { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1', locale: null, objectId: null, clientIp: null });
    expect(answer).toMatchObject({ status: 200, body: { needToMigrate: 'local', displayName: 'Alice Liddell' } });
    const reset = handler({ mode: 'reset-discovery', authenticator: undefined, profiles: store });
    expect((await call(reset, { signInName: 'alice@contoso.com', objectId: null, locale: null })).status).toBe(200);
    expect((await call(reset, { signInName: 'nobody@contoso.com', objectId: null })).status).toBe(409);
  });

  it('the sign-in name and the password still may not be null', async () => {
    const signIn = handler({ profiles: store, debug: true });
    expect((await call(signIn, { signInName: null, password: 'Legacy-Pass-1' })).body).toMatchObject({ status: 409, code: 'LEGACY_IDP_BAD_REQUEST' });
    expect((await call(signIn, { signInName: 'alice@contoso.com', password: null })).body).toMatchObject({ status: 409, code: 'LEGACY_IDP_BAD_REQUEST' });
  });
});
