import { randomUUID } from 'node:crypto';
import { CompactEncrypt, exportPKCS8, generateKeyPair, type CryptoKey as JoseKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { UserStore } from '../../src/core/contracts.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import type { JitHandler } from '../../src/jit/endpoint.js';
import { entraHandler } from '../../src/jit/entra.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';

/**
 * Entra sends null for an informational field with no value (shared/reference/b2c-contracts.md §4 shows
 * `displayName: null`): each one is read as absent, so the sign-in goes on. The JWE, which carries the
 * password, stays required.
 */

const callerAuth: CallerAuthenticator = () => Promise.resolve({ ok: true, identity: { method: 'bearer' } });

let store: UserStore;
let publicKey: JoseKey;
let handler: JitHandler;

beforeAll(async () => {
  store = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'alice@contoso.com', password: 'Str0ng-Legacy-Pass!', email: 'alice@contoso.com' }] });
  const pair = await generateKeyPair('RSA-OAEP-256', { extractable: true });
  publicKey = pair.publicKey;
  handler = await entraHandler({
    authenticator: createAuthenticator({ verifier: store, profiles: store, lockout: createLockoutPolicy({ ip: false }) }),
    callerAuth,
    keys: [{ privateKey: await exportPKCS8(pair.privateKey) }],
  });
});
afterAll(async () => {
  await store.close?.();
});

async function encryptedContext(nonce: string): Promise<string> {
  const jws = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'alice@contoso.com' })).toString('base64url')}.`;
  return new CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }).encrypt(publicKey);
}

async function submit(data: Record<string, unknown>) {
  const response = await handler(
    new Request('https://jit.example/api/entra', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'microsoft.graph.authenticationEvent.passwordSubmit', data: { '@odata.type': 'microsoft.graph.onPasswordSubmitCalloutData', ...data } }),
    }),
    { remoteAddress: '203.0.113.9' },
  );
  return { status: response.status, body: (await response.json()) as { data?: { actions: Array<Record<string, string>>; nonce: string } } };
}

describe('Entra OnPasswordSubmit: null informational fields', () => {
  const context = (overrides: Record<string, unknown>) => ({
    correlationId: randomUUID(),
    client: { ip: '198.51.100.23', locale: 'en-us' },
    user: { id: randomUUID(), mail: 'alice@contoso.com', displayName: null },
    ...overrides,
  });
  const cases: Record<string, (nonce: string) => Promise<Record<string, unknown>>> = {
    'client.ip': async (nonce) => ({ tenantId: 't', encryptedPasswordContext: await encryptedContext(nonce), authenticationContext: context({ client: { ip: null, locale: 'en-us' } }) }),
    'client.locale': async (nonce) => ({ tenantId: 't', encryptedPasswordContext: await encryptedContext(nonce), authenticationContext: context({ client: { ip: '198.51.100.23', locale: null } }) }),
    client: async (nonce) => ({ tenantId: 't', encryptedPasswordContext: await encryptedContext(nonce), authenticationContext: context({ client: null }) }),
    correlationId: async (nonce) => ({ tenantId: 't', encryptedPasswordContext: await encryptedContext(nonce), authenticationContext: context({ correlationId: null }) }),
    'user.id': async (nonce) => ({ tenantId: 't', encryptedPasswordContext: await encryptedContext(nonce), authenticationContext: context({ user: { id: null, mail: null, userPrincipalName: null } }) }),
    user: async (nonce) => ({ tenantId: 't', encryptedPasswordContext: await encryptedContext(nonce), authenticationContext: context({ user: null }) }),
    tenantId: async (nonce) => ({ tenantId: null, encryptedPasswordContext: await encryptedContext(nonce), authenticationContext: context({}) }),
    authenticationContext: async (nonce) => ({ tenantId: 't', encryptedPasswordContext: await encryptedContext(nonce), authenticationContext: null }),
  };

  for (const [field, build] of Object.entries(cases)) {
    it(`${field}: null is absent, and the right password still migrates`, async () => {
      const nonce = randomUUID();
      const answer = await submit(await build(nonce));
      expect(answer.status).toBe(200);
      expect(answer.body.data?.nonce).toBe(nonce);
      expect(answer.body.data?.actions[0]?.['@odata.type']).toBe('microsoft.graph.passwordSubmit.MigratePassword');
    });
  }

  it('encryptedPasswordContext null is still a bad request', async () => {
    expect((await submit({ tenantId: 't', encryptedPasswordContext: null, authenticationContext: context({}) })).status).toBe(400);
  });
});
