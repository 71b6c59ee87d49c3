import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { UserStore } from '../../src/core/contracts.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { entraHandler } from '../../src/jit/entra.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';

/**
 * The Entra handler's decryption keys: a private JWK opens every RSA-OAEP variant a PEM key opens (Entra's
 * algorithm is undocumented), and a key that could never open an Entra JWE is refused at start-up, not at the
 * first sign-in.
 */

const callerAuth: CallerAuthenticator = () => Promise.resolve({ ok: true, identity: { method: 'bearer' } });
const keyManagement = ['RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'] as const;

let store: UserStore;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateJwk = rsa.privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
const privatePem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;

beforeAll(async () => {
  store = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'alice@contoso.com', password: 'Str0ng-Legacy-Pass!' }] });
});
afterAll(async () => {
  await store.close?.();
});

const handlerWith = (privateKey: string | Record<string, unknown>) => entraHandler({ authenticator: createAuthenticator({ verifier: store }), callerAuth, keys: [{ privateKey }], deadlineMs: 10_000 });

async function actionFor(handler: Awaited<ReturnType<typeof handlerWith>>, publicKey: KeyObject, alg: string): Promise<string> {
  const nonce = randomUUID();
  const jws = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'alice@contoso.com' })).toString('base64url')}.`;
  const jwe = await new CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg, enc: 'A256GCM' }).encrypt(publicKey);
  const response = await handler(
    new Request('https://jit.example/api/entra', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'microsoft.graph.authenticationEvent.passwordSubmit', data: { '@odata.type': 'microsoft.graph.onPasswordSubmitCalloutData', encryptedPasswordContext: jwe } }),
    }),
  );
  const body = (await response.json()) as { data?: { actions: Array<Record<string, string>>; nonce: string } };
  if (response.status !== 200 || body.data?.nonce !== nonce) return `HTTP ${response.status}`;
  return body.data.actions[0]?.['@odata.type'] ?? 'no action';
}

describe('Entra handler decryption keys', () => {
  it.each([
    ['a PEM key', privatePem],
    ['a private JWK without alg', privateJwk],
    ['a private JWK with alg RSA-OAEP', { ...privateJwk, alg: 'RSA-OAEP' }],
    ['a private JWK with alg RSA-OAEP-256 and a kid', { ...privateJwk, alg: 'RSA-OAEP-256', kid: 'k1', use: 'enc' }],
  ])('%s opens RSA-OAEP, RSA-OAEP-256, RSA-OAEP-384 and RSA-OAEP-512 JWEs', async (_label, privateKey) => {
    const handler = await handlerWith(privateKey);
    const actions: Record<string, string> = {};
    for (const alg of keyManagement) actions[alg] = await actionFor(handler, rsa.publicKey, alg);
    expect(actions).toEqual(Object.fromEntries(keyManagement.map((alg) => [alg, 'microsoft.graph.passwordSubmit.MigratePassword'])));
  });

  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const short = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
  const pem = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }) as string;
  const jwk = (key: KeyObject): Record<string, unknown> => key.export({ format: 'jwk' });

  it.each([
    ['an EC P-256 PEM', pem(ec.privateKey), /key type ec/u],
    ['an EC P-256 JWK', jwk(ec.privateKey), /key type ec/u],
    ['an Ed25519 PEM', pem(ed.privateKey), /key type ed25519/u],
    ['an RSA-PSS PEM', pem(pss.privateKey), /key type rsa-pss/u],
    ['an RSA-1024 PEM', pem(short.privateKey), /RSA key of 1024 bits/u],
    ['an RSA-1024 JWK', jwk(short.privateKey), /RSA key of 1024 bits/u],
    ['a JWK whose alg is a signing algorithm', { ...privateJwk, alg: 'RS256' }, /JWK "alg" is not one of RSA-OAEP/u],
    ['a JWK whose alg is a symmetric key wrap', { ...privateJwk, alg: 'A256KW' }, /JWK "alg" is not one of RSA-OAEP/u],
    ['a public PEM', rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string, /readable RSA private key$/u],
    ['a public JWK', jwk(rsa.publicKey), /readable RSA private key$/u],
  ])('refuses %s at start-up, naming the key and the reason', async (_label, privateKey, reason) => {
    const refused = await handlerWith(privateKey).then(
      () => undefined,
      (error: unknown) => error as { code?: string; message: string },
    );
    expect(refused?.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(refused?.message).toMatch(/^Entra handler options: keys\[0\] is not a readable RSA private key/u);
    expect(refused?.message).toMatch(reason);
    // The message names the problem, never the key material.
    expect(refused?.message).not.toContain(String(privateJwk['d']).slice(0, 16));
    if (typeof privateKey === 'object' && typeof privateKey['d'] === 'string') expect(refused?.message).not.toContain(privateKey['d'].slice(0, 16));
  });
});
