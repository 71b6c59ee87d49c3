import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCallerAuth, type CallerAuthenticator } from '../../src/jit/caller-auth.js';

/**
 * Caller checks against what the network can do to them. After one failed JWKS fetch, which anyone can cause with a
 * token naming an unknown kid while the issuer is slow or down, every bearer call used to be refused for
 * jwksFailureBackoffMs, even the ones whose key the cached set held. An API key with a character outside ASCII was
 * accepted, though no caller could ever present it (Node reads header bytes as Latin-1).
 */

const issuer = 'https://issuer.test';
const audience = 'api://legacy-idp';
let privateKey: CryptoKey;
let publicJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', use: 'sig', alg: 'RS256' };
});

const token = (kid: string) => new SignJWT({ azp: 'app' }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer(issuer).setAudience(audience).setExpirationTime('5m').sign(privateKey);

async function check(auth: CallerAuthenticator, jwt: string): Promise<string> {
  const result = await auth({ method: 'POST', headers: new Headers({ authorization: `Bearer ${jwt}` }) }, {});
  return result.ok ? 'ok' : result.reason;
}

let jwks: Server | undefined;
afterEach(async () => {
  jwks?.closeAllConnections();
  const closing = jwks;
  if (closing !== undefined) await new Promise((resolve) => closing.close(resolve));
  jwks = undefined;
});

/** A JWKS server that answers the set while `up()` says so, else 503; counts its requests. */
async function jwksServer(up: () => boolean): Promise<{ url: string; fetches: () => number }> {
  let fetches = 0;
  jwks = createServer((_request, response) => {
    fetches += 1;
    if (!up()) {
      response.writeHead(503);
      response.end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/keys`, fetches: () => fetches };
}

describe('bearer: after a failed JWKS refetch', () => {
  it('a token whose kid the fresh cached set holds is still accepted, without a fetch; an unknown kid is refused at once', async () => {
    let up = true;
    const server = await jwksServer(() => up);
    const auth = createCallerAuth({ bearer: { issuer, audience, allowedCallers: ['app'], jwksUrl: server.url, jwksCooldownMs: 100, jwksFailureBackoffMs: 60_000 } });
    const good = await token('k1');
    expect(await check(auth, good)).toBe('ok');
    up = false;
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Past the cooldown, anyone's unknown kid makes the set be fetched again, and the fetch fails.
    expect(await check(auth, await token('random-kid'))).toMatch(/^bearer: JWKS fetch failed: /u);
    expect(server.fetches()).toBe(2);
    // The legitimate caller right after: its key is in the cached set, which is still fresh.
    expect(await check(auth, good)).toBe('ok');
    // Another unknown kid during the backoff: refused without a fetch.
    expect(await check(auth, await token('other-kid'))).toMatch(/^bearer: JWKS unavailable \(a fetch failed \d+ ms ago/u);
    expect(server.fetches()).toBe(2);
  });

  it('a cached set past its max age is not used during the backoff: refused at once, without a fetch', async () => {
    let up = true;
    const server = await jwksServer(() => up);
    const auth = createCallerAuth({ bearer: { issuer, audience, jwksUrl: server.url, jwksCacheMaxAgeMs: 100, jwksCooldownMs: 0, jwksFailureBackoffMs: 60_000 } });
    const good = await token('k1');
    expect(await check(auth, good)).toBe('ok');
    up = false;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await check(auth, good)).toMatch(/^bearer: JWKS fetch failed: /u);
    expect(await check(auth, good)).toMatch(/^bearer: JWKS unavailable/u);
    expect(server.fetches()).toBe(2);
  });
});

describe('apiKey: a key no caller can present', () => {
  it('refuses a key with a character outside ASCII when it is built', () => {
    for (const value of ['clé-0123456789abcdef', 'key-0123456789abcdef-€', 'key-0123456789abcdef-\u00a0x', 'key-0123456789abcdef-😀']) {
      expect(() => createCallerAuth({ apiKey: { keys: [{ value }] } }), JSON.stringify(value)).toThrow(/outside ASCII/u);
    }
    expect(() => createCallerAuth({ apiKey: { keys: [{ value: 'key-0123456789abcdef-~!#$%&*+/=?^_`{|}' }] } })).not.toThrow();
  });
});
