import { randomUUID } from 'node:crypto';
import { CompactEncrypt, exportPKCS8, generateKeyPair, type CryptoKey as JoseKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator } from '../../src/core/authenticator.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { entraHandler } from '../../src/jit/entra.js';

/**
 * Entra gives up on OnPasswordSubmit after its own timeout. The handler's `deadlineMs` must hold whatever the
 * Authenticator does: one of the caller's own that ignores `deadline` (here: never answers) is cut off a little
 * after the budget, and the answer is the configured unavailable action, with the nonce.
 */

const callerAuth: CallerAuthenticator = () => Promise.resolve({ ok: true, identity: { method: 'bearer' } });
const stuck: Authenticator = {
  authenticate: () => new Promise(() => undefined),
  normalizeUsername: (username) => username.toLowerCase(),
  close: () => Promise.resolve(),
};

let publicKey: JoseKey;
let privateKey: string;
beforeAll(async () => {
  const pair = await generateKeyPair('RSA-OAEP-256', { extractable: true });
  publicKey = pair.publicKey;
  privateKey = await exportPKCS8(pair.privateKey);
});

async function submit(onUnavailable: 'Block' | 'Retry') {
  const handler = await entraHandler({ authenticator: stuck, callerAuth, keys: [{ privateKey }], deadlineMs: 300, onUnavailable });
  const nonce = randomUUID();
  const jws = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'alice@contoso.com' })).toString('base64url')}.`;
  const encryptedPasswordContext = await new CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }).encrypt(publicKey);
  const started = performance.now();
  const response = await handler(
    new Request('https://jit.example/api/entra', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'microsoft.graph.authenticationEvent.passwordSubmit', data: { '@odata.type': 'microsoft.graph.onPasswordSubmitCalloutData', tenantId: 't', encryptedPasswordContext } }),
    }),
    { remoteAddress: '203.0.113.9' },
  );
  const body = (await response.json()) as { data?: { actions: Array<Record<string, string>>; nonce: string } };
  return { status: response.status, body, nonce, ms: performance.now() - started };
}

describe('Entra OnPasswordSubmit: deadlineMs holds for an Authenticator that ignores its deadline', () => {
  it('answers Block (the default) with the nonce a little after the budget', async () => {
    const answer = await submit('Block');
    expect(answer.status).toBe(200);
    expect(answer.body.data?.nonce).toBe(answer.nonce);
    expect(answer.body.data?.actions[0]?.['@odata.type']).toBe('microsoft.graph.passwordSubmit.Block');
    // Before, the call waited for the Authenticator (here: for ever).
    expect(answer.ms).toBeLessThan(2_000);
  });

  it('answers Retry when that is the configured unavailable action', async () => {
    expect((await submit('Retry')).body.data?.actions[0]?.['@odata.type']).toBe('microsoft.graph.passwordSubmit.Retry');
  });
});
