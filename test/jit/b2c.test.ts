import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, type Authenticator } from '../../src/core/authenticator.js';
import type { UserStore } from '../../src/core/contracts.js';
import { jsonLogger } from '../../src/core/logger.js';
import { b2cHandler, type B2cHandlerOptions } from '../../src/jit/b2c.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';

/**
 * The B2C RESTful technical profile contract (shared/reference/b2c-contracts.md §1.2, §2), with the
 * jit-migration-v2 readme's 14-case matrix reproduced against the `claims`, `signup-check` and
 * `reset-discovery` modes, and the protocol's error shape.
 */

const apiKey = 'b2c-test-key-5c1f';
/** The callers in these tests present an API key; caller authentication has its own tests. */
const callerAuth: CallerAuthenticator = (request) =>
  Promise.resolve(request.headers.get('x-api-key') === apiKey ? { ok: true, identity: { method: 'api-key' } } : { ok: false, reason: 'no key' });

let store: UserStore;
let downStore: UserStore;
const logLines: string[] = [];
const logger = jsonLogger({ level: 'debug', write: (line) => logLines.push(line) });

beforeAll(async () => {
  store = await memoryUserStore({
    scryptCost: 2 ** 10,
    users: [
      { username: 'alice@contoso.com', password: 'Legacy-Pass-1', email: 'alice@contoso.com', displayName: 'Alice Liddell', givenName: 'Alice', surname: 'Liddell', attributes: { loyaltyId: 'L-1001' } },
      { username: 'migrated@contoso.com', password: 'Legacy-Pass-2', email: 'migrated@contoso.com', attributes: { migrated: true } },
      { username: 'dave@contoso.com', password: 'Legacy-Pass-3', state: 'disabled' },
      { username: 'erin@contoso.com', password: 'Legacy-Pass-4', state: 'password_expired', displayName: 'Erin Expired' },
    ],
  });
  downStore = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'alice@contoso.com', password: 'Legacy-Pass-1' }] });
  await downStore.close?.();
});
afterAll(async () => {
  await store.close?.();
});

function authenticatorFor(target: UserStore, threshold = 10): Authenticator {
  return createAuthenticator({ verifier: target, profiles: target, lockout: createLockoutPolicy({ account: { threshold, windowSeconds: 600 }, ip: false }) });
}

function handler(overrides: Partial<B2cHandlerOptions> = {}): ReturnType<typeof b2cHandler> {
  return b2cHandler({ mode: 'claims', authenticator: authenticatorFor(store), profiles: store, callerAuth, logger, ...overrides });
}

async function call(target: ReturnType<typeof b2cHandler>, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await target(
    new Request('https://jit.example/api/b2c', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
    { remoteAddress: '203.0.113.7' },
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

const conflictShape = (userMessage: RegExp) => ({ version: '1.0.0', status: 409, userMessage: expect.stringMatching(userMessage) as unknown });

describe('B2C jit-migration-v2 matrix (claims, signup-check, reset-discovery)', () => {
  // Built per case: the stores exist only once beforeAll has run.
  const signIn = () => handler();
  const signUp = () => handler({ mode: 'signup-check' });
  const reset = () => handler({ mode: 'reset-discovery' });

  it('1. a legacy user with the right password gets needToMigrate and the profile claims, never the password', async () => {
    const answer = await call(signIn(), { signInName: 'Alice@Contoso.com', password: 'Legacy-Pass-1' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ needToMigrate: 'local', email: 'alice@contoso.com', displayName: 'Alice Liddell', givenName: 'Alice', surname: 'Liddell' });
    expect(JSON.stringify(answer.body)).not.toContain('Legacy-Pass-1');
  });

  it('2. a legacy user with a wrong password gets 409 with the incorrect-password text', async () => {
    const answer = await call(signIn(), { signInName: 'alice@contoso.com', password: 'Legacy-Pass-X' });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual(conflictShape(/password is incorrect/u));
  });

  it('3. an already migrated legacy user is answered like a directory user (no needToMigrate)', async () => {
    const answer = await call(handler({ migratedAttribute: 'migrated' }), { signInName: 'migrated@contoso.com', password: 'Legacy-Pass-2' });
    expect(answer).toMatchObject({ status: 200, body: {} });
  });

  it('4. a name the legacy store does not hold gets 200 with no claims (B2C signs in against its directory)', async () => {
    const answer = await call(signIn(), { signInName: 'new@contoso.com', password: 'Whatever-1' });
    expect(answer).toMatchObject({ status: 200, body: {} });
  });

  it('5. an empty password is a 409 in the protocol shape, checked before any verification', async () => {
    const answer = await call(signIn(), { signInName: 'alice@contoso.com', password: '' });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual(conflictShape(/could not be processed/u));
  });

  it('6. a missing signInName is a 409 in the protocol shape', async () => {
    expect((await call(signIn(), { password: 'Legacy-Pass-1' })).body).toEqual(conflictShape(/could not be processed/u));
  });

  it('7. useInputPassword cannot skip the password check', async () => {
    const answer = await call(signIn(), { signInName: 'alice@contoso.com', password: 'not-her-password', useInputPassword: true });
    expect(answer.status).toBe(409);
    expect(answer.body['userMessage']).toMatch(/password is incorrect/u);
    const noPassword = await call(signIn(), { signInName: 'alice@contoso.com', useInputPassword: true });
    expect(noPassword.status).toBe(409);
    expect(noPassword.body['needToMigrate']).toBeUndefined();
  });

  it('8. sign-up with a name the legacy store holds gets 409 user-exists', async () => {
    expect((await call(signUp(), { signInName: 'alice@contoso.com' })).body).toEqual(conflictShape(/already exists/u));
  });

  it('9. sign-up with a new name gets 200', async () => {
    expect(await call(signUp(), { signInName: 'new@contoso.com' })).toMatchObject({ status: 200, body: {} });
  });

  it('10. password reset for a legacy user gets 200', async () => {
    expect(await call(reset(), { signInName: 'alice@contoso.com' })).toMatchObject({ status: 200, body: {} });
  });

  it('11. password reset for a directory user (objectId found by B2C) gets 200 without a lookup', async () => {
    expect(await call(reset(), { signInName: 'only-in-directory@contoso.com', objectId: '0c2c8f5e-1111-4a4a-9b9b-000000000001' })).toMatchObject({ status: 200 });
  });

  it('12. password reset for an unknown name gets 409 account-not-found', async () => {
    expect((await call(reset(), { signInName: 'nobody@contoso.com' })).body).toEqual(conflictShape(/could not be found/u));
  });

  it('13. a legacy store that is down gets its own text, never the wrong-password one', async () => {
    const down = handler({ authenticator: authenticatorFor(downStore) });
    const answer = await call(down, { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1' });
    expect(answer.status).toBe(409);
    expect(answer.body['userMessage']).toMatch(/cannot check your password right now/u);
    const signupDown = await call(handler({ mode: 'signup-check', profiles: downStore }), { signInName: 'alice@contoso.com' });
    expect(signupDown.body['userMessage']).toMatch(/cannot check/u);
  });

  it('14. guesses past the lockout threshold get the locked text, even with the right password', async () => {
    const locking = handler({ authenticator: authenticatorFor(store, 3) });
    for (let i = 0; i < 3; i++) expect((await call(locking, { signInName: 'alice@contoso.com', password: `guess-${i}` })).status).toBe(409);
    const answer = await call(locking, { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1' });
    expect(answer.status).toBe(409);
    expect(answer.body['userMessage']).toMatch(/temporarily locked/u);
  });
});

describe('B2C contract details', () => {
  it('answers disabled and expired accounts per configuration', async () => {
    expect((await call(handler(), { signInName: 'dave@contoso.com', password: 'Legacy-Pass-3' })).body['userMessage']).toMatch(/disabled/u);
    expect((await call(handler(), { signInName: 'erin@contoso.com', password: 'Legacy-Pass-4' })).body).toMatchObject({ needToMigrate: 'local', displayName: 'Erin Expired' });
    expect((await call(handler({ expiredPasswords: 'reject' }), { signInName: 'erin@contoso.com', password: 'Legacy-Pass-4' })).body['userMessage']).toMatch(/expired/u);
  });

  it('maps input and output claim names, extra attributes, and returns the password only when told to', async () => {
    const mapped = handler({
      inputClaims: { username: 'email', password: 'pwd' },
      outputClaims: { surname: 'surName', attributes: { loyaltyId: 'loyaltyNumber' } },
      returnPassword: { claim: 'newPassword' },
    });
    const answer = await call(mapped, { email: 'alice@contoso.com', pwd: 'Legacy-Pass-1' });
    expect(answer.body).toMatchObject({ needToMigrate: 'local', surName: 'Liddell', loyaltyNumber: 'L-1001', newPassword: 'Legacy-Pass-1' });
    expect(logLines.some((line) => line.includes('returnPassword'))).toBe(true);
  });

  it('seamless mode answers tokenSuccess for the right password and 409 for a wrong one', async () => {
    const seamless = handler({ mode: 'seamless', inputClaims: { username: 'email' } });
    expect((await call(seamless, { email: 'alice@contoso.com', password: 'Legacy-Pass-1' })).body).toEqual({ tokenSuccess: true, migrationRequired: false });
    expect((await call(seamless, { email: 'alice@contoso.com', password: 'nope-nope' })).status).toBe(409);
  });

  it('localizes messages by the locale claim, most specific tag first', async () => {
    const localized = handler({ messages: { locales: { fr: { invalid: 'Mot de passe incorrect.' }, 'fr-CA': { invalid: 'Mot de passe erroné.' } } } });
    expect((await call(localized, { signInName: 'alice@contoso.com', password: 'x-wrong-1', locale: 'fr-FR' })).body['userMessage']).toBe('Mot de passe incorrect.');
    expect((await call(localized, { signInName: 'alice@contoso.com', password: 'x-wrong-1', locale: 'fr-CA' })).body['userMessage']).toBe('Mot de passe erroné.');
    expect((await call(localized, { signInName: 'alice@contoso.com', password: 'x-wrong-1', locale: 'de' })).body['userMessage']).toMatch(/incorrect/u);
  });

  it('adds code, requestId and developerMessage only in debug mode', async () => {
    const plain = await call(handler(), { signInName: 'alice@contoso.com', password: 'x-wrong-1' }, { 'x-request-id': 'req-42' });
    expect(Object.keys(plain.body).sort()).toEqual(['status', 'userMessage', 'version']);
    expect(plain.headers.get('x-request-id')).toBe('req-42');
    const debug = await call(handler({ debug: true, version: '1.0.1' }), { signInName: 'alice@contoso.com', password: 'x-wrong-1' }, { 'x-request-id': 'req-43' });
    expect(debug.body).toMatchObject({ version: '1.0.1', status: 409, code: 'LEGACY_IDP_INVALID_CREDENTIALS', requestId: 'req-43', developerMessage: 'invalid: wrong_password' });
  });

  it('keeps debug fields to 409 bodies: an unauthenticated caller never reads why it was refused', async () => {
    const refusingWithReasons: CallerAuthenticator = (request) =>
      Promise.resolve(
        request.headers.get('x-api-key') === apiKey ? { ok: true, identity: { method: 'api-key' } } : { ok: false, reason: 'api-key: no x-functions-key header; basic: unknown user' },
      );
    const answer = await call(handler({ debug: true, callerAuth: refusingWithReasons }), { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1' }, { 'x-api-key': 'wrong' });
    expect(answer.status).toBe(401);
    expect(Object.keys(answer.body).sort()).toEqual(['status', 'userMessage', 'version']);
    expect(JSON.stringify(answer.body)).not.toContain('x-functions-key');
  });

  it('refuses unauthenticated callers with 401 before reading the body, and bad transport with the right status', async () => {
    const target = handler();
    expect((await call(target, { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1' }, { 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await call(target, 'not json {')).status).toBe(409);
    expect((await call(target, { signInName: 'alice@contoso.com', password: 'x'.repeat(20_000) })).status).toBe(413);
    expect((await call(target, { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1' }, { 'content-type': 'text/plain' })).status).toBe(415);
    const get = await target(new Request('https://jit.example/api/b2c', { method: 'GET', headers: { 'x-api-key': apiKey } }));
    expect(get.status).toBe(405);
    expect((await call(target, { signInName: { $ne: null }, password: 'Legacy-Pass-1' })).status).toBe(409);
  });

  it("counts the lockout's IP scope per end user (the clientIp claim), never per B2C front end", async () => {
    const ipLimited = () =>
      handler({ authenticator: createAuthenticator({ verifier: store, profiles: store, lockout: createLockoutPolicy({ account: { threshold: 50, windowSeconds: 600 }, ip: { threshold: 3, windowSeconds: 600 } }) }) });
    // Every call arrives from the same connection address (B2C's), for different users.
    const shared = ipLimited();
    for (const name of ['u1', 'u2', 'u3', 'u4']) expect((await call(shared, { signInName: `${name}@contoso.com`, password: 'guess-guess' })).status).toBe(200);
    expect((await call(shared, { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1' })).body['needToMigrate']).toBe('local');
    // With the user's address in the claim, one address guessing across accounts is stopped.
    const claimed = ipLimited();
    for (let i = 0; i < 3; i++) await call(claimed, { signInName: 'alice@contoso.com', password: `guess-${i}`, clientIp: '198.51.100.77' });
    const locked = await call(claimed, { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1', clientIp: '198.51.100.77' });
    expect(locked.body['userMessage']).toMatch(/temporarily locked/u);
    expect((await call(claimed, { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1', clientIp: '198.51.100.78' })).body['needToMigrate']).toBe('local');
  });

  it('writes one secret-free log line per call', async () => {
    logLines.length = 0;
    const canary = 'Canary-Password-8e1d';
    await call(handler(), { signInName: 'alice@contoso.com', password: canary });
    await call(handler(), { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1' });
    await call(handler(), `{"signInName": "alice@contoso.com", "password": "${canary}"`);
    const calls = logLines.filter((line) => line.includes('"jit call"'));
    expect(calls).toHaveLength(3);
    expect(logLines.join('\n')).not.toContain(canary);
    expect(logLines.join('\n')).not.toContain('Legacy-Pass-1');
    // The Authenticator's reason rides on the endpoint's line, so one line per call says everything.
    expect(JSON.parse(calls[0] as string)).toMatchObject({ protocol: 'b2c', status: 409, outcome: 'invalid', reason: 'wrong_password', username: 'alice@contoso.com', clientIp: '203.0.113.7' });
    expect(JSON.parse(calls[1] as string)).toMatchObject({ outcome: 'valid' });
    expect(JSON.parse(calls[1] as string)).not.toHaveProperty('reason');
  });
});
