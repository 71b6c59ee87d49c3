import { randomUUID } from 'node:crypto';
import { CompactEncrypt, exportJWK, exportPKCS8, generateKeyPair, type CryptoKey as JoseKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { CredentialVerifier, UserStore } from '../../src/core/contracts.js';
import { jsonLogger } from '../../src/core/logger.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { entraHandler, type EntraHandlerOptions } from '../../src/jit/entra.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';

/**
 * Entra External ID OnPasswordSubmit (shared/reference/b2c-contracts.md §4): requests built as the service
 * builds them, with keys generated here: an RSA JWE whose plaintext is an unsigned JWS with user-password and
 * nonce. Every action, the nonce echo, key rotation, refused algorithms and the deadline.
 */

const callerAuth: CallerAuthenticator = (request) =>
  Promise.resolve(request.headers.get('authorization') === 'Bearer test-token' ? { ok: true, identity: { method: 'bearer' } } : { ok: false, reason: 'no token' });

let store: UserStore;
let downStore: UserStore;
let primary: { publicKey: JoseKey; pem: string };
let rotated: { publicKey: JoseKey; jwk: Record<string, unknown> };
const logLines: string[] = [];
const logger = jsonLogger({ level: 'debug', write: (line) => logLines.push(line) });

beforeAll(async () => {
  store = await memoryUserStore({
    scryptCost: 2 ** 10,
    users: [
      { username: 'alice@contoso.com', password: 'Str0ng-Legacy-Pass!', email: 'alice@contoso.com' },
      { username: 'weak@contoso.com', password: 'abc12345' },
      { username: 'dave@contoso.com', password: 'Str0ng-Dave-Pass!', state: 'disabled' },
      { username: 'erin@contoso.com', password: 'Str0ng-Erin-Pass!', state: 'password_expired' },
      { username: 'lena@contoso.com', password: 'Str0ng-Lena-Pass!', state: 'locked' },
    ],
  });
  downStore = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'alice@contoso.com', password: 'x-x-x-x-1' }] });
  await downStore.close?.();
  const first = await generateKeyPair('RSA-OAEP-256', { extractable: true });
  primary = { publicKey: first.publicKey, pem: await exportPKCS8(first.privateKey) };
  const second = await generateKeyPair('RSA-OAEP-256', { extractable: true });
  rotated = { publicKey: second.publicKey, jwk: { ...(await exportJWK(second.privateKey)), kid: 'key-2026', alg: 'RSA-OAEP-256' } };
});
afterAll(async () => {
  await store.close?.();
});

const unsignedJws = (payload: Record<string, unknown>): string =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

async function encrypt(payload: Record<string, unknown>, key: JoseKey, header: { kid?: string; alg?: string; enc?: string } = {}, bare = false): Promise<string> {
  const plaintext = new TextEncoder().encode(bare ? JSON.stringify(payload) : unsignedJws(payload));
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: header.alg ?? 'RSA-OAEP-256', enc: header.enc ?? 'A256GCM', ...(header.kid ? { kid: header.kid } : {}) })
    .encrypt(key);
}

function requestBody(encryptedPasswordContext: string, user: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'microsoft.graph.authenticationEvent.passwordSubmit',
    source: '/tenants/00000000-0000-4000-8000-000000000001/applications/00000000-0000-4000-8000-000000000002',
    data: {
      '@odata.type': 'microsoft.graph.onPasswordSubmitCalloutData',
      tenantId: '00000000-0000-4000-8000-000000000001',
      authenticationEventListenerId: randomUUID(),
      customAuthenticationExtensionId: randomUUID(),
      encryptedPasswordContext,
      authenticationContext: {
        correlationId: randomUUID(),
        client: { ip: '198.51.100.23', locale: 'en-us', market: 'en-us' },
        protocol: 'OAUTH2.0',
        clientServicePrincipal: { id: randomUUID(), appId: randomUUID(), appDisplayName: 'Contoso', displayName: 'Contoso' },
        user: { id: randomUUID(), userPrincipalName: 'cpim_0001@contoso.onmicrosoft.com', userType: 'Member', ...user },
      },
    },
  };
}

async function make(overrides: Partial<EntraHandlerOptions> = {}, verifier: CredentialVerifier = store) {
  return entraHandler({
    authenticator: createAuthenticator({ verifier, profiles: store, lockout: createLockoutPolicy({ account: { threshold: 5, windowSeconds: 600 }, ip: false }) }),
    callerAuth,
    keys: [{ privateKey: primary.pem }, { privateKey: rotated.jwk }],
    logger,
    ...overrides,
  });
}

async function submit(handler: Awaited<ReturnType<typeof make>>, body: unknown, token = 'test-token') {
  const response = await handler(
    new Request('https://jit.example/api/entra', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) }),
  );
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as { data?: { actions: Array<Record<string, string>>; nonce: string; '@odata.type': string } } };
}

async function actionFor(username: string, password: string, overrides: Partial<EntraHandlerOptions> = {}) {
  const nonce = randomUUID();
  const answer = await submit(await make(overrides), requestBody(await encrypt({ 'user-password': password, nonce, username }, primary.publicKey)));
  expect(answer.status).toBe(200);
  expect(answer.body.data?.nonce).toBe(nonce);
  expect(answer.body.data?.actions).toHaveLength(1);
  return answer.body.data?.actions[0] ?? {};
}

describe('Entra OnPasswordSubmit', () => {
  it('answers MigratePassword for the right strong password, in the documented envelope with the nonce', async () => {
    const nonce = randomUUID();
    const answer = await submit(await make(), requestBody(await encrypt({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'Alice@Contoso.com' }, primary.publicKey)));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/u);
    expect(answer.body).toEqual({
      data: { '@odata.type': 'microsoft.graph.onPasswordSubmitResponseData', actions: [{ '@odata.type': 'microsoft.graph.passwordSubmit.MigratePassword' }], nonce },
    });
  });

  it('answers UpdatePassword for a right but weak or expired password', async () => {
    expect(await actionFor('weak@contoso.com', 'abc12345')).toEqual({ '@odata.type': 'microsoft.graph.passwordSubmit.UpdatePassword' });
    expect((await actionFor('weak@contoso.com', 'abc12345', { passwordPolicy: 'none' }))['@odata.type']).toMatch(/MigratePassword$/u);
    expect((await actionFor('erin@contoso.com', 'Str0ng-Erin-Pass!'))['@odata.type']).toMatch(/UpdatePassword$/u);
  });

  it('answers Retry for a wrong password and for a name the legacy store does not hold', async () => {
    expect(await actionFor('alice@contoso.com', 'Str0ng-Legacy-Wrong!')).toEqual({ '@odata.type': 'microsoft.graph.passwordSubmit.Retry' });
    expect((await actionFor('nobody@contoso.com', 'Str0ng-Legacy-Pass!'))['@odata.type']).toMatch(/Retry$/u);
  });

  it('answers Block with a title and message for locked and disabled accounts and a down store', async () => {
    expect(await actionFor('lena@contoso.com', 'Str0ng-Lena-Pass!')).toEqual({
      '@odata.type': 'microsoft.graph.passwordSubmit.Block',
      title: 'Sign-in blocked',
      message: expect.stringMatching(/locked/u) as unknown,
    });
    expect((await actionFor('dave@contoso.com', 'Str0ng-Dave-Pass!'))['message']).toMatch(/disabled/u);
    const nonce = randomUUID();
    const down = await submit(await make({}, downStore), requestBody(await encrypt({ 'user-password': 'x-x-x-x-1', nonce, username: 'alice@contoso.com' }, primary.publicKey)));
    expect(down.body.data?.actions[0]).toMatchObject({ '@odata.type': 'microsoft.graph.passwordSubmit.Block', message: expect.stringMatching(/right now/u) as unknown });
    const retrying = await submit(await make({ onUnavailable: 'Retry' }, downStore), requestBody(await encrypt({ 'user-password': 'x-x-x-x-1', nonce, username: 'alice@contoso.com' }, primary.publicKey)));
    expect(retrying.body.data?.actions[0]?.['@odata.type']).toMatch(/Retry$/u);
  });

  it('locks out after the threshold, then Blocks even the right password', async () => {
    const handler = await make();
    for (let i = 0; i < 5; i++) {
      const answer = await submit(handler, requestBody(await encrypt({ 'user-password': `Wrong-Guess-${i}!`, nonce: randomUUID(), username: 'alice@contoso.com' }, primary.publicKey)));
      expect(answer.body.data?.actions[0]?.['@odata.type']).toMatch(/Retry$/u);
    }
    const answer = await submit(handler, requestBody(await encrypt({ 'user-password': 'Str0ng-Legacy-Pass!', nonce: randomUUID(), username: 'alice@contoso.com' }, primary.publicKey)));
    expect(answer.body.data?.actions[0]?.['@odata.type']).toMatch(/Block$/u);
  });

  it('takes the sign-in name from the JWE, else the user object', async () => {
    const nonce = randomUUID();
    const fromMail = await submit(await make(), requestBody(await encrypt({ 'user-password': 'Str0ng-Legacy-Pass!', nonce }, primary.publicKey), { mail: 'alice@contoso.com' }));
    expect(fromMail.body.data?.actions[0]?.['@odata.type']).toMatch(/MigratePassword$/u);
    const noName = await submit(await make({ usernameFrom: ['jwe:username'] }), requestBody(await encrypt({ 'user-password': 'Str0ng-Legacy-Pass!', nonce }, primary.publicKey), { mail: 'alice@contoso.com' }));
    expect(noName.body.data?.actions[0]?.['@odata.type']).toMatch(/Retry$/u);
  });

  it('decrypts with the key the JWE names (rotation) and accepts a bare JSON plaintext', async () => {
    const nonce = randomUUID();
    const withKid = await submit(await make(), requestBody(await encrypt({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'alice@contoso.com' }, rotated.publicKey, { kid: 'key-2026' })));
    expect(withKid.body.data?.actions[0]?.['@odata.type']).toMatch(/MigratePassword$/u);
    const bare = await submit(await make(), requestBody(await encrypt({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'alice@contoso.com' }, primary.publicKey, {}, true)));
    expect(bare.body.data?.nonce).toBe(nonce);
  });

  it('refuses a JWE for another key, a symmetric (dir) JWE and a malformed request with 4xx, never an action', async () => {
    const stranger = await generateKeyPair('RSA-OAEP-256');
    const foreign = await submit(await make(), requestBody(await encrypt({ 'user-password': 'Str0ng-Legacy-Pass!', nonce: 'n-1', username: 'alice@contoso.com' }, stranger.publicKey)));
    expect(foreign.status).toBe(400);
    expect(foreign.body.data).toBeUndefined();
    const secret = new Uint8Array(32).fill(7);
    const direct = await new CompactEncrypt(new TextEncoder().encode(unsignedJws({ 'user-password': 'x', nonce: 'n-2', username: 'alice@contoso.com' })))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(secret);
    expect((await submit(await make(), requestBody(direct))).status).toBe(400);
    expect((await submit(await make(), { type: 'something.else', data: {} })).status).toBe(400);
    expect((await submit(await make(), requestBody('not-a-jwe'))).status).toBe(400);
    expect((await submit(await make(), requestBody(await encrypt({ nonce: 'n-3' }, primary.publicKey)))).status).toBe(400);
  });

  it('refuses a caller without the token with 401', async () => {
    const answer = await submit(await make(), requestBody(await encrypt({ 'user-password': 'Str0ng-Legacy-Pass!', nonce: 'n', username: 'alice@contoso.com' }, primary.publicKey)), 'wrong');
    expect(answer.status).toBe(401);
  });

  it('answers before its budget when the legacy store is slow: Block (unavailable), from the deadline', async () => {
    const slow: CredentialVerifier = {
      name: 'slow',
      verify: ({ signal }) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => { resolve({ status: 'valid', subjectId: 'x' }); }, 10_000);
          signal?.addEventListener('abort', () => { clearTimeout(timer); });
        }),
    };
    logLines.length = 0;
    const nonce = randomUUID();
    const answer = await submit(await make({ deadlineMs: 200 }, slow), requestBody(await encrypt({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'alice@contoso.com' }, primary.publicKey)));
    expect(answer.body.data?.nonce).toBe(nonce);
    expect(answer.body.data?.actions[0]?.['@odata.type']).toMatch(/Block$/u);
    expect(logLines.some((line) => line.includes('"outcome":"unavailable_deadline"'))).toBe(true);
  });

  it('uses the lower-case action namespace when told to', async () => {
    expect((await actionFor('alice@contoso.com', 'Str0ng-Legacy-Pass!', { actionNamespace: 'microsoft.graph.passwordsubmit' }))['@odata.type']).toBe('microsoft.graph.passwordsubmit.MigratePassword');
  });

  it('never writes the password into logs or answers', async () => {
    logLines.length = 0;
    const canary = 'Canary-Entra-Pass-7f3e!';
    const answer = await submit(await make(), requestBody(await encrypt({ 'user-password': canary, nonce: randomUUID(), username: 'alice@contoso.com' }, primary.publicKey)));
    expect(JSON.stringify(answer.body)).not.toContain(canary);
    expect(logLines.join('\n')).not.toContain(canary);
    expect(logLines.some((line) => line.includes('"protocol":"entra"') && line.includes('"action":"Retry"'))).toBe(true);
  });

  it('refuses keys it cannot read at construction', async () => {
    await expect(entraHandler({ authenticator: createAuthenticator({ verifier: store }), callerAuth, keys: [{ privateKey: 'not a key' }] })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_CONFIG_INVALID',
    });
  });
});
