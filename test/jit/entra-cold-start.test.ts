import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CompactEncrypt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { createCallerAuth, entraCustomExtensionCallerId, prepareCallerAuth } from '../../src/jit/caller-auth.js';

/**
 * The first Entra sign-in after a start must not pay for work that could be done before: with the default
 * 800 ms budget, the JWKS fetch and the loading of hash backends left the first user a Block. `legacy-idp serve`
 * does that work before it listens; these tests check that it was done (no timing is asserted).
 */

const tenantId = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const audience = '11111111-2222-4333-8444-555555555555';
const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
const decryption = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A loopback JWKS that counts its fetches and can be told to fail. */
let jwksServer: Server;
let jwksUrl: string;
let jwksFetches = 0;
let jwksFailing = false;
/** While set, JWKS answers wait in `jwksHeld` until released. */
let holdJwks = false;
let jwksHeld: Array<() => void> = [];
function releaseJwks(): void {
  holdJwks = false;
  for (const answer of jwksHeld.splice(0)) answer();
}
let dir: string;

beforeAll(async () => {
  const jwks = JSON.stringify({ keys: [{ ...signer.publicKey.export({ format: 'jwk' }), kid: 'sig-1', use: 'sig' }] });
  jwksServer = createServer((_request, response) => {
    jwksFetches += 1;
    if (jwksFailing) {
      response.writeHead(503).end();
      return;
    }
    const answer = (): void => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    };
    if (holdJwks) jwksHeld.push(answer);
    else answer();
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const address = jwksServer.address();
  if (address === null || typeof address === 'string') throw new Error('no JWKS port');
  jwksUrl = `http://127.0.0.1:${address.port}/discovery/v2.0/keys`;
  dir = mkdtempSync(join(tmpdir(), 'legacy-idp-entra-cold-'));
});
afterAll(async () => {
  await new Promise((resolve) => jwksServer.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function entraToken(): Promise<string> {
  return new SignJWT({ azp: entraCustomExtensionCallerId })
    .setProtectedHeader({ alg: 'RS256', kid: 'sig-1' })
    .setIssuer(`https://login.microsoftonline.com/${tenantId}/v2.0`)
    .setAudience(audience)
    .setExpirationTime('10m')
    .sign(signer.privateKey);
}

const withToken = async () => new Request('https://jit.example/entra', { method: 'POST', headers: { authorization: `Bearer ${await entraToken()}` } });
const connection = { remoteAddress: '127.0.0.1' };

describe('prepareCallerAuth', () => {
  it('fetches the bearer JWKS ahead, so that the first call does not', async () => {
    jwksFetches = 0;
    const callerAuth = createCallerAuth({ bearer: { entra: { tenantId, audience }, jwksUrl } });
    expect(await prepareCallerAuth(callerAuth)).toEqual([]);
    expect(jwksFetches).toBe(1);
    expect(await callerAuth(await withToken(), connection)).toMatchObject({ ok: true, identity: { method: 'bearer' } });
    expect(jwksFetches).toBe(1);
  });

  it('reports a JWKS it could not fetch, and leaves the fetch to the first call instead of refusing it', async () => {
    jwksFetches = 0;
    jwksFailing = true;
    const callerAuth = createCallerAuth({ bearer: { entra: { tenantId, audience }, jwksUrl } });
    try {
      expect(await prepareCallerAuth(callerAuth)).toEqual([expect.stringMatching(/^bearer: JWKS fetch failed/u)]);
    } finally {
      jwksFailing = false;
    }
    expect(await callerAuth(await withToken(), connection)).toMatchObject({ ok: true });
    expect(jwksFetches).toBe(2);
  });

  it('has nothing to prepare for a caller check without a JWKS, or one of the caller own', async () => {
    expect(await prepareCallerAuth(createCallerAuth({ apiKey: { keys: [{ label: 'k', value: 'abcdefghijklmnop1234' }] } }))).toEqual([]);
    expect(await prepareCallerAuth(() => Promise.resolve({ ok: false, reason: 'never' }))).toEqual([]);
  });
});

interface InProcessServe {
  url: string;
  logs: () => string;
  stop: () => Promise<number>;
}

/** `legacy-idp serve -c <config>` in this process, with the bearer preset on the loopback JWKS. */
async function serveEntra(name: string, bearer: Record<string, unknown> = {}): Promise<InProcessServe> {
  const config = join(dir, `${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      store: { type: 'memory', users: [{ username: 'alice@contoso.com', password: 'Str0ng-Legacy-Pass!' }] },
      serve: {
        port: 0,
        callerAuth: { bearer: { entra: { tenantId, audience }, jwksUrl, ...bearer } },
        routes: [{ path: '/entra', protocol: 'entra', keys: [{ privateKey: decryption.privateKey.export({ format: 'jwk' }) }], deadlineMs: 10_000 }],
      },
    }),
  );
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let logs = '';
  stderr.on('data', (chunk: Buffer) => {
    logs += chunk.toString();
  });
  const listening = new Promise<string>((resolve) => {
    stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (\S+)/u.exec(out)?.[1];
      if (url !== undefined) resolve(url);
    });
  });
  const stop = new AbortController();
  const done = runCli(['serve', '-c', config], { stdin: new PassThrough(), stdout, stderr, env: {}, stopSignal: stop.signal });
  const url = await Promise.race([listening, done.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${logs}`)))]);
  return {
    url,
    logs: () => logs,
    stop: async () => {
      stop.abort();
      return done;
    },
  };
}

async function readyzStatus(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

async function waitForReady(url: string): Promise<void> {
  for (let tries = 0; (await readyzStatus(url)) !== 200; tries++) {
    if (tries > 200) throw new Error('/readyz never answered 200');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('legacy-idp serve with an Entra route', () => {
  it('has fetched the JWKS and warmed up once /readyz answers ready, and the first sign-in migrates', async () => {
    jwksFetches = 0;
    const served = await serveEntra('warm');
    try {
      await waitForReady(served.url);
      expect(jwksFetches).toBe(1);
      expect(served.logs()).toContain('"message":"warm-up finished"');

      const nonce = randomUUID();
      const jws = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ 'user-password': 'Str0ng-Legacy-Pass!', nonce, username: 'alice@contoso.com' })).toString('base64url')}.`;
      const jwe = await new CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' }).encrypt(decryption.publicKey);
      const response = await fetch(`${served.url}/entra`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await entraToken()}` },
        body: JSON.stringify({ type: 'microsoft.graph.authenticationEvent.passwordSubmit', data: { '@odata.type': 'microsoft.graph.onPasswordSubmitCalloutData', encryptedPasswordContext: jwe } }),
      });
      expect(await response.json()).toEqual({ data: { '@odata.type': 'microsoft.graph.onPasswordSubmitResponseData', actions: [{ '@odata.type': 'microsoft.graph.passwordSubmit.MigratePassword' }], nonce } });
      expect(jwksFetches).toBe(1);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  }, 60_000);

  it('listens after a bounded wait when the JWKS is slow, and is not ready until it has been fetched', async () => {
    jwksFetches = 0;
    jwksHeld = [];
    holdJwks = true;
    // A JWKS request given longer than the port waits for the warm-up.
    const served = await serveEntra('held', { jwksTimeoutMs: 30_000 });
    try {
      expect(await readyzStatus(served.url)).toBe(503);
      releaseJwks();
      await waitForReady(served.url);
      expect(served.logs()).toContain('"message":"warm-up finished"');
    } finally {
      releaseJwks();
      expect(await served.stop()).toBe(0);
    }
  }, 60_000);
});
