import { randomUUID } from 'node:crypto';
import { CompactEncrypt, exportPKCS8, generateKeyPair, type CryptoKey as JoseKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, type Authenticator } from '../../src/core/authenticator.js';
import type { CredentialVerifier, UserStore } from '../../src/core/contracts.js';
import type { VerifyOutcome } from '../../src/core/outcome.js';
import { createGraphClient } from '../../src/graph/index.js';
import { b2cHandler, type B2cHandlerOptions } from '../../src/jit/b2c.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { entraHandler } from '../../src/jit/entra.js';
import { genericHandler } from '../../src/jit/generic.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { emulatorEndpoints } from '../graph/helpers.js';

/**
 * A verifier answer outside the VerifyOutcome contract, through the protocols: B2C answered 200
 * `{"needToMigrate":"local"}` (claims) and `{"tokenSuccess":true}` (seamless) for `{ status: 'error' }`, because its
 * switch took an unknown status for "not a failure"; the generic handler answered 500 for an `unavailable` without
 * an error. Now every one is the protocol's unavailable answer, and each handler's switch also fails closed on a
 * status it does not know when an Authenticator of the caller's own passes one on.
 */

const apiKey = 'outcome-contract-key-1';
const callerAuth: CallerAuthenticator = (request) =>
  Promise.resolve(request.headers.get('x-api-key') === apiKey ? { ok: true, identity: { method: 'api-key' } } : { ok: false, reason: 'no key' });

const broken: Array<[string, unknown]> = [
  ['status "error"', { status: 'error' }],
  ['status "failed"', { status: 'failed' }],
  ['status "not_found"', { status: 'not_found' }],
  ['no status', {}],
  ['status "VALID"', { status: 'VALID' }],
  ['valid without subjectId', { status: 'valid' }],
  ['unavailable without an error', { status: 'unavailable', reason: 'backend_error' }],
  ['unavailable with a plain Error', { status: 'unavailable', reason: 'backend_error', error: new Error('db down') }],
];

let store: UserStore;
let emulator: GraphEmulator;
beforeAll(async () => {
  store = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'alice@contoso.com', password: 'Legacy-Pass-1', email: 'alice@contoso.com', givenName: 'Alice' }] });
  emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com' });
});
afterAll(async () => {
  await store.close?.();
  await emulator.close();
});

const verifierAnswering = (answer: unknown): CredentialVerifier => ({ name: 'js-custom', verify: () => Promise.resolve(answer as VerifyOutcome) });
const authenticatorWith = (answer: unknown): Authenticator =>
  createAuthenticator({ verifier: verifierAnswering(answer), profiles: store, lockout: createLockoutPolicy({ secret: 'x'.repeat(32), ip: false }) });
/** An Authenticator of the caller's own (the interface is public) that passes on whatever it is given. */
const passingOn = (answer: unknown): Authenticator => ({
  authenticate: (input) => Promise.resolve({ username: input.username, outcome: answer as VerifyOutcome, profile: null }),
  normalizeUsername: (name) => name,
  close: () => Promise.resolve(),
});

async function post(handler: (request: Request) => Promise<Response>, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await handler(new Request('https://jit.example/api', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify(body) }));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function b2c(mode: B2cHandlerOptions['mode'], authenticator: Authenticator) {
  const graph = createGraphClient({ ...emulatorEndpoints(emulator), maxRetries: 0 });
  return b2cHandler({
    mode,
    authenticator,
    callerAuth,
    debug: true,
    ...(mode === 'create' ? { create: { graph, tenant: 'contoso.onmicrosoft.com', disableStrongPassword: true } } : {}),
  });
}

const signIn = { signInName: 'alice@contoso.com', password: 'anything-at-all' };

describe('B2C: a verifier answer outside the contract is the unavailable 409, in every verifying mode', () => {
  it.each(broken)('claims mode, %s: 409 unavailable, no needToMigrate', async (_label, answer) => {
    const { status, body } = await post(b2c('claims', authenticatorWith(answer)), signIn);
    expect(status).toBe(409);
    expect(body).toMatchObject({ status: 409, code: 'LEGACY_IDP_UNAVAILABLE' });
    expect(body).not.toHaveProperty('needToMigrate');
  });

  it.each(broken)('seamless mode, %s: 409 unavailable, no tokenSuccess', async (_label, answer) => {
    const { status, body } = await post(b2c('seamless', authenticatorWith(answer)), signIn);
    expect(status).toBe(409);
    expect(body).toMatchObject({ status: 409, code: 'LEGACY_IDP_UNAVAILABLE' });
    expect(body).not.toHaveProperty('tokenSuccess');
  });

  it.each(broken)('create mode, %s: 409 unavailable, nobody created', async (_label, answer) => {
    const before = emulator.users.size;
    const { status, body } = await post(b2c('create', authenticatorWith(answer)), signIn);
    expect(status).toBe(409);
    expect(body).toMatchObject({ status: 409, code: 'LEGACY_IDP_UNAVAILABLE' });
    expect(emulator.users.size).toBe(before);
  });

  it.each(['claims', 'seamless', 'create'] as const)('%s mode fails closed on a status its switch does not know, from an Authenticator of the caller\'s own', async (mode) => {
    const before = emulator.users.size;
    for (const answer of [{ status: 'error' }, { status: 'VALID' }, {}, { status: 'unavailable', reason: 'backend_error' }, { status: 'valid' }]) {
      const { status, body } = await post(b2c(mode, passingOn(answer)), signIn);
      expect(status).toBe(409);
      expect(body).toMatchObject({ code: 'LEGACY_IDP_UNAVAILABLE' });
    }
    expect(emulator.users.size).toBe(before);
  });
});

describe('generic: a verifier answer outside the contract is a decided unavailable, never a 500 or an unknown status', () => {
  it.each(broken)('%s: 200 {status: unavailable, reason: misconfigured}', async (_label, answer) => {
    const { status, body } = await post(genericHandler({ authenticator: authenticatorWith(answer), callerAuth }), { username: 'alice@contoso.com', password: 'anything-at-all' });
    expect({ status, body }).toEqual({ status: 200, body: { status: 'unavailable', reason: 'misconfigured' } });
  });

  it.each<[string, unknown]>([
    ['status "VALID"', { status: 'VALID' }],
    ['unavailable without an error', { status: 'unavailable', reason: 'backend_error' }],
    ['valid without subjectId', { status: 'valid' }],
  ])('does not pass on an answer outside the contract from an Authenticator of the caller\'s own: %s', async (_label, answer) => {
    const { status, body } = await post(genericHandler({ authenticator: passingOn(answer), callerAuth }), { username: 'alice@contoso.com', password: 'anything-at-all' });
    expect({ status, body }).toEqual({ status: 200, body: { status: 'unavailable', reason: 'misconfigured' } });
  });
});

describe('Entra: a status outside the contract is answered as unavailable (Block or Retry), never MigratePassword', () => {
  let key: { publicKey: JoseKey; pem: string };
  beforeAll(async () => {
    const pair = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    key = { publicKey: pair.publicKey, pem: await exportPKCS8(pair.privateKey) };
  });

  async function action(authenticator: Authenticator, onUnavailable: 'Block' | 'Retry' = 'Block'): Promise<{ status: number; action: string | undefined }> {
    const nonce = randomUUID();
    const jws = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'alice@contoso.com' })).toString('base64url')}.`;
    const encrypted = await new CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }).encrypt(key.publicKey);
    const handler = await entraHandler({ authenticator, callerAuth, keys: [{ privateKey: key.pem }], onUnavailable });
    const { status, body } = await post(handler, {
      type: 'microsoft.graph.authenticationEvent.passwordSubmit',
      source: '/tenants/00000000-0000-4000-8000-000000000001/applications/00000000-0000-4000-8000-000000000002',
      data: {
        '@odata.type': 'microsoft.graph.onPasswordSubmitCalloutData',
        tenantId: '00000000-0000-4000-8000-000000000001',
        authenticationEventListenerId: randomUUID(),
        customAuthenticationExtensionId: randomUUID(),
        encryptedPasswordContext: encrypted,
        authenticationContext: { correlationId: randomUUID(), client: { ip: '198.51.100.23', locale: 'en-us', market: 'en-us' }, user: { id: randomUUID(), userPrincipalName: 'cpim_1@contoso.onmicrosoft.com' } },
      },
    });
    const actions = (body['data'] as { actions?: Array<Record<string, string>> } | undefined)?.actions;
    return { status, action: actions?.[0]?.['@odata.type'] };
  }

  it.each(broken)('through the Authenticator, %s: Block', async (_label, answer) => {
    expect(await action(authenticatorWith(answer))).toEqual({ status: 200, action: 'microsoft.graph.passwordSubmit.Block' });
  });

  it('from an Authenticator of the caller\'s own: Block, or Retry when configured so', async () => {
    expect(await action(passingOn({ status: 'VALID' }))).toEqual({ status: 200, action: 'microsoft.graph.passwordSubmit.Block' });
    expect(await action(passingOn({ status: 'valid' }))).toEqual({ status: 200, action: 'microsoft.graph.passwordSubmit.Block' });
    expect(await action(passingOn({ status: 'unavailable', reason: 'backend_error' }))).toEqual({ status: 200, action: 'microsoft.graph.passwordSubmit.Block' });
    expect(await action(passingOn({ status: 'error' }), 'Retry')).toEqual({ status: 200, action: 'microsoft.graph.passwordSubmit.Retry' });
  });
});
