import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { UserStore } from '../../src/core/contracts.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { entraHandler } from '../../src/jit/entra.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';

/**
 * A private JWK says what it is for (RFC 7517 4.2 `use`, 4.3 `key_ops`). A signing key (`"use": "sig"`, or
 * `key_ops` without `decrypt`/`unwrapKey`) is refused at start-up as a decryption key, with the same typed
 * config error as any other key the handler cannot use; `"use": "enc"` and decryption `key_ops` keep working.
 */

const callerAuth: CallerAuthenticator = () => Promise.resolve({ ok: true, identity: { method: 'bearer' } });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateJwk = rsa.privateKey.export({ format: 'jwk' }) as Record<string, unknown>;

let store: UserStore;
beforeAll(async () => {
  store = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'alice@contoso.com', password: 'Str0ng-Legacy-Pass!' }] });
});
afterAll(async () => {
  await store.close?.();
});

const handlerWith = (privateKey: Record<string, unknown>) => entraHandler({ authenticator: createAuthenticator({ verifier: store }), callerAuth, keys: [{ privateKey }], deadlineMs: 10_000 });

describe('Entra handler: a JWK meant for signing is not a decryption key', () => {
  it.each([
    ['"use": "sig"', { ...privateJwk, use: 'sig' }, /JWK "use" is "sig", a signing key/u],
    ['"use": "sig" with alg RSA-OAEP-256', { ...privateJwk, use: 'sig', alg: 'RSA-OAEP-256' }, /JWK "use" is "sig"/u],
    ['an unknown "use"', { ...privateJwk, use: 'tls' }, /JWK "use" is not "enc"/u],
    ['"key_ops": ["sign"]', { ...privateJwk, key_ops: ['sign'] }, /JWK "key_ops" allows neither unwrapKey nor decrypt/u],
    ['"key_ops": ["sign", "verify", "encrypt"]', { ...privateJwk, key_ops: ['sign', 'verify', 'encrypt'] }, /JWK "key_ops" allows neither/u],
    ['"key_ops": []', { ...privateJwk, key_ops: [] }, /JWK "key_ops" allows neither/u],
    ['"key_ops" that is not an array', { ...privateJwk, key_ops: 'decrypt' }, /JWK "key_ops" is not an array of strings/u],
  ])('refuses a JWK with %s at start-up', async (_label, privateKey, reason) => {
    const refused = await handlerWith(privateKey).then(
      () => undefined,
      (error: unknown) => error as { code?: string; message: string },
    );
    expect(refused?.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(refused?.message).toMatch(/^Entra handler options: keys\[0\] is not a readable RSA private key/u);
    expect(refused?.message).toMatch(reason);
    expect(refused?.message).not.toContain(String(privateJwk['d']).slice(0, 16));
  });

  it.each([
    ['"use": "enc"', { ...privateJwk, use: 'enc' }],
    ['"key_ops": ["unwrapKey"]', { ...privateJwk, key_ops: ['unwrapKey'] }],
    ['"key_ops": ["decrypt"]', { ...privateJwk, key_ops: ['decrypt'] }],
    ['"use": "enc" and "key_ops": ["unwrapKey", "decrypt"]', { ...privateJwk, use: 'enc', key_ops: ['unwrapKey', 'decrypt'] }],
  ])('accepts a JWK with %s and it opens an Entra JWE', async (_label, privateKey) => {
    const handler = await handlerWith(privateKey);
    const nonce = randomUUID();
    const jws = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'alice@contoso.com' })).toString('base64url')}.`;
    const jwe = await new CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }).encrypt(rsa.publicKey);
    const response = await handler(
      new Request('https://jit.example/api/entra', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'microsoft.graph.authenticationEvent.passwordSubmit', data: { '@odata.type': 'microsoft.graph.onPasswordSubmitCalloutData', encryptedPasswordContext: jwe } }),
      }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { actions: Array<Record<string, string>>; nonce: string } };
    expect(body.data.nonce).toBe(nonce);
    expect(body.data.actions[0]?.['@odata.type']).toBe('microsoft.graph.passwordSubmit.MigratePassword');
  });
});
