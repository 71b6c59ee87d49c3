import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { SignJWT, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { isLegacyIdpError } from '../../src/core/errors.js';
import type { LogFields, Logger } from '../../src/core/logger.js';
import {
  callerAuthSchema,
  createCallerAuth,
  entraBearer,
  type CallerAuthOptions,
  type CallerAuthenticator,
  type CallerCheck,
} from '../../src/jit/caller-auth.js';
import { createJitEndpoint, jitErrorStatus, jsonAnswer, type JitConnectionInfo } from '../../src/jit/endpoint.js';
import { makeTestCertificates } from '../harness/certificates.js';
import { runChecked } from '../harness/process.js';

// Counts constant-time comparisons, to show that Basic and API keys compare against every configured secret.
const comparisons = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean => {
      comparisons.count += 1;
      return actual.timingSafeEqual(a, b);
    },
  };
});

const endpointUrl = 'https://jit.example.com/api/migrate';

function call(headers: Record<string, string> = {}): Request {
  return new Request(endpointUrl, { method: 'POST', headers });
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

async function accepted(auth: CallerAuthenticator, request: Request, connection: JitConnectionInfo = {}): Promise<Extract<CallerCheck, { ok: true }>['identity']> {
  const result = await auth(request, connection);
  if (!result.ok) throw new Error(`expected acceptance, got: ${result.reason}`);
  return result.identity;
}

async function refused(auth: CallerAuthenticator, request: Request, connection: JitConnectionInfo = {}): Promise<string> {
  const result = await auth(request, connection);
  if (result.ok) throw new Error(`expected a refusal, got acceptance as ${result.identity.method}`);
  return result.reason;
}

function configError(options: unknown): Error {
  try {
    createCallerAuth(options as CallerAuthOptions);
  } catch (error) {
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_INVALID')).toBe(true);
    return error as Error;
  }
  throw new Error('expected a configuration error');
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('Basic', () => {
  const password = 'b2c-basic-password-0123456789';
  const auth = createCallerAuth({
    basic: {
      users: [
        { username: 'b2c', password },
        { username: 'other-tenant', password: 'second-password-abcdefghij' },
        { username: 'third', password: 'third:password:with:colons' },
      ],
    },
  });

  it('accepts a configured user with its password', async () => {
    expect(await accepted(auth, call({ authorization: basic('b2c', password) }))).toEqual({ method: 'basic', subject: 'b2c' });
    expect(await accepted(auth, call({ authorization: basic('other-tenant', 'second-password-abcdefghij') }))).toEqual({ method: 'basic', subject: 'other-tenant' });
  });

  it('reads the scheme case-insensitively and splits at the first colon only', async () => {
    const encoded = Buffer.from(`b2c:${password}`).toString('base64');
    expect((await accepted(auth, call({ authorization: `basic ${encoded}` }))).subject).toBe('b2c');
    expect((await accepted(auth, call({ authorization: basic('third', 'third:password:with:colons') }))).subject).toBe('third');
  });

  it('refuses a wrong user, a wrong password, and a password of another user', async () => {
    expect(await refused(auth, call({ authorization: basic('b2c-admin', password) }))).toBe('basic: unknown user');
    expect(await refused(auth, call({ authorization: basic('b2c', `${password}x`) }))).toBe('basic: wrong password for a configured user');
    expect(await refused(auth, call({ authorization: basic('b2c', 'second-password-abcdefghij') }))).toBe('basic: wrong password for a configured user');
    expect(await refused(auth, call({ authorization: basic('b2c', '') }))).toBe('basic: wrong password for a configured user');
  });

  it('refuses missing, foreign-scheme and malformed credentials', async () => {
    expect(await refused(auth, call())).toBe('basic: no Authorization header');
    expect(await refused(auth, call({ authorization: 'Bearer abc.def.ghi' }))).toBe('basic: Authorization header is not Basic');
    expect(await refused(auth, call({ authorization: 'Digest username="b2c"' }))).toBe('basic: Authorization header is not Basic');
    expect(await refused(auth, call({ authorization: 'Basic' }))).toBe('basic: Authorization header is not Basic');
    expect(await refused(auth, call({ authorization: 'Basic !!not-base64!!' }))).toBe('basic: credentials are not base64');
    expect(await refused(auth, call({ authorization: 'Basic YjJj' }))).toBe('basic: credentials have no ":" between username and password');
    // "YQ" is "a" without padding: lenient decoders accept it, this one does not.
    expect(await refused(auth, call({ authorization: 'Basic YQ' }))).toBe('basic: credentials are not base64');
    expect(await refused(auth, call({ authorization: `Basic ${Buffer.from([0x62, 0x3a, 0xff, 0xfe]).toString('base64')}` }))).toBe('basic: credentials are not UTF-8');
  });

  it('compares name and password with every configured user, without stopping at the first match', async () => {
    comparisons.count = 0;
    await accepted(auth, call({ authorization: basic('b2c', password) }));
    expect(comparisons.count).toBe(6);
    comparisons.count = 0;
    await refused(auth, call({ authorization: basic('nobody', 'nothing') }));
    expect(comparisons.count).toBe(6);
  });
});

describe('API key', () => {
  const key = 'api-key-value-0123456789abcdef';
  const auth = createCallerAuth({ apiKey: { keys: [{ label: 'b2c-2024', value: key }, { value: 'rotated-key-value-abcdefghijkl' }] } });

  it('accepts any configured key in x-api-key, named by its label', async () => {
    expect(await accepted(auth, call({ 'x-api-key': key }))).toEqual({ method: 'api-key', subject: 'b2c-2024' });
    expect(await accepted(auth, call({ 'X-API-Key': 'rotated-key-value-abcdefghijkl' }))).toEqual({ method: 'api-key', subject: 'keys[1]' });
  });

  it('refuses to build with a key no HTTP header can carry: white space at an end (a file\'s final newline), a control character', () => {
    for (const value of [`${key}\n`, ` ${key}`, `${key}\t`, `api-key-value\u0000-0123456789`]) {
      expect(() => createCallerAuth({ apiKey: { keys: [{ value }] } }), JSON.stringify(value)).toThrow(/HTTP strips|control character/u);
    }
    // The message names the problem, never the key.
    let message = '';
    try {
      createCallerAuth({ apiKey: { keys: [{ value: `${key}\n` }] } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain(key);
  });

  it('refuses a wrong key, an empty one, and the right key in another header', async () => {
    expect(await refused(auth, call({ 'x-api-key': `${key}0` }))).toBe('api-key: x-api-key matches no configured key');
    expect(await refused(auth, call({ 'x-api-key': '' }))).toBe('api-key: empty x-api-key header');
    expect(await refused(auth, call({ 'x-functions-key': key }))).toBe('api-key: no x-api-key header');
    expect(await refused(auth, call({ authorization: `Bearer ${key}` }))).toBe('api-key: no x-api-key header');
  });

  it("uses B2C's key Id as the header name, case-insensitively", async () => {
    const functions = createCallerAuth({ apiKey: { header: 'X-Functions-Key', keys: [{ value: key }] } });
    expect(await accepted(functions, call({ 'x-functions-key': key }))).toEqual({ method: 'api-key', subject: 'keys[0]' });
    expect(await refused(functions, call({ 'x-api-key': key }))).toBe('api-key: no x-functions-key header');
  });

  it('compares with every configured key', async () => {
    comparisons.count = 0;
    await accepted(auth, call({ 'x-api-key': key }));
    expect(comparisons.count).toBe(2);
  });

  it('refuses short or duplicate keys and bad header names in the options', () => {
    expect(configError({ apiKey: { keys: [{ value: 'short' }] } }).message).toMatch(/apiKey\.keys\[0\]\.value.*at least 16/u);
    expect(configError({ apiKey: { keys: [{ value: key }, { value: key }] } }).message).toMatch(/once/u);
    expect(configError({ apiKey: { header: 'x api key', keys: [{ value: key }] } }).message).toMatch(/apiKey\.header/u);
  });
});

describe('client certificate', () => {
  const fingerprintHex = randomBytes(32).toString('hex');
  const nodeStyle = fingerprintHex.toUpperCase().match(/../gu)!.join(':');
  const certificate = (overrides: Partial<NonNullable<JitConnectionInfo['clientCertificate']>> = {}): JitConnectionInfo => ({
    clientCertificate: { fingerprint256: nodeStyle, subject: { CN: 'b2c-caller', O: 'Contoso' }, authorized: true, ...overrides },
  });

  it('matches a thumbprint in any case, with or without colons', async () => {
    const pinned = createCallerAuth({ clientCertificate: { thumbprints: [fingerprintHex] } });
    expect(await accepted(pinned, call(), certificate())).toEqual({ method: 'client-certificate', subject: 'b2c-caller' });
    const colons = createCallerAuth({ clientCertificate: { thumbprints: [nodeStyle.toLowerCase()] } });
    expect(await accepted(colons, call(), certificate({ fingerprint256: fingerprintHex.toUpperCase() }))).toEqual({ method: 'client-certificate', subject: 'b2c-caller' });
    expect(await refused(pinned, call(), certificate({ fingerprint256: randomBytes(32).toString('hex') }))).toMatch(/^client-certificate: certificate [0-9a-f]{64} is not among the thumbprints$/u);
  });

  it('matches a subject CN', async () => {
    const bySubject = createCallerAuth({ clientCertificate: { subjects: ['B2C-Caller'] } });
    expect(await accepted(bySubject, call(), certificate())).toEqual({ method: 'client-certificate', subject: 'b2c-caller' });
    expect(await accepted(bySubject, call(), certificate({ subject: { CN: ['other', 'b2c-caller'] } }))).toMatchObject({ method: 'client-certificate' });
    expect(await refused(bySubject, call(), certificate({ subject: { CN: 'b2c-caller-2' } }))).toBe('client-certificate: certificate CN "b2c-caller-2" is not among the subjects');
    expect(await refused(bySubject, call(), certificate({ subject: { O: 'Contoso' } }))).toBe('client-certificate: certificate subject has no CN');
  });

  it('demands every configured criterion', async () => {
    const both = createCallerAuth({ clientCertificate: { thumbprints: [fingerprintHex], subjects: ['b2c-caller'] } });
    expect(await accepted(both, call(), certificate())).toMatchObject({ method: 'client-certificate' });
    expect(await refused(both, call(), certificate({ subject: { CN: 'intruder' } }))).toMatch(/not among the subjects/u);
  });

  it('refuses a certificate whose chain the TLS layer did not verify, unless told to rely on the pin alone', async () => {
    const strict = createCallerAuth({ clientCertificate: { subjects: ['b2c-caller'] } });
    expect(await refused(strict, call(), certificate({ authorized: false }))).toBe('client-certificate: the TLS layer did not verify the certificate chain');
    expect(await refused(strict, call(), certificate({ authorized: undefined as unknown as boolean }))).toMatch(/did not verify/u);
    const pinOnly = createCallerAuth({ clientCertificate: { thumbprints: [fingerprintHex], requireAuthorized: false } });
    expect(await accepted(pinOnly, call(), certificate({ authorized: false }))).toMatchObject({ method: 'client-certificate' });
  });

  it('refuses a connection without a certificate', async () => {
    const auth = createCallerAuth({ clientCertificate: { thumbprints: [fingerprintHex] } });
    expect(await refused(auth, call(), {})).toBe('client-certificate: no client certificate (the host must request one and pass it on)');
    expect(await refused(auth, call(), { clientCertificate: { authorized: true } })).toBe('client-certificate: certificate without a fingerprint');
  });

  it('refuses options that would accept any certificate', () => {
    expect(configError({ clientCertificate: {} }).message).toMatch(/thumbprints, subjects or both/u);
    expect(configError({ clientCertificate: { subjects: ['b2c-caller'], requireAuthorized: false } }).message).toMatch(/requireAuthorized.*self-signed/u);
    expect(configError({ clientCertificate: { thumbprints: ['aa'.repeat(20)] } }).message).toMatch(/SHA-1/u);
    expect(configError({ clientCertificate: { thumbprints: ['zz'.repeat(32)] } }).message).toMatch(/64 hex digits/u);
  });
});

describe('client certificate over real mutual TLS', () => {
  let dir: string;
  let server: ReturnType<typeof createTlsServer>;
  let port: number;
  let clientKey: string;
  let clientCert: string;
  let rogueKey: string;
  let rogueCert: string;
  let caPem: string;
  let clientFingerprint: string;
  let auth: CallerAuthenticator = () => Promise.resolve({ ok: false, reason: 'not set' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'caller-auth-'));
    const certificates = await makeTestCertificates(dir, { caName: 'test-ca', commonName: 'localhost', ip: '127.0.0.1', dnsName: 'localhost' });
    caPem = certificates.caCertPem;
    const file = (name: string): string => join(dir, name);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await runChecked('openssl', ['req', ...ec, '-subj', '/CN=b2c-caller', '-keyout', file('client.key'), '-out', file('client.csr')]);
    await writeFile(file('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
    await runChecked('openssl', ['x509', '-req', '-in', file('client.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('client.ext'), '-out', file('client.pem')]);
    // Same CN, but self-signed: only the chain check tells it apart.
    await runChecked('openssl', ['req', '-x509', ...ec, '-days', '2', '-subj', '/CN=b2c-caller', '-keyout', file('rogue.key'), '-out', file('rogue.pem')]);
    const fingerprint = await runChecked('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', file('client.pem')]);
    clientFingerprint = fingerprint.trim().split('=')[1]!;
    clientKey = await readFile(file('client.key'), 'utf8');
    clientCert = await readFile(file('client.pem'), 'utf8');
    rogueKey = await readFile(file('rogue.key'), 'utf8');
    rogueCert = await readFile(file('rogue.pem'), 'utf8');
    server = createTlsServer(
      { key: await readFile(certificates.keyFile), cert: await readFile(certificates.certFile), ca: caPem, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        // What a host adapter does: hand the socket's view of the peer certificate to the caller check.
        const socket = req.socket;
        if (!(socket instanceof TLSSocket)) throw new Error('expected a TLS socket');
        const peer = socket.getPeerCertificate();
        const connection: JitConnectionInfo =
          Object.keys(peer).length === 0
            ? {}
            : { clientCertificate: { fingerprint256: peer.fingerprint256, subject: peer.subject as unknown as Record<string, string>, authorized: socket.authorized } };
        void auth(new Request(endpointUrl, { method: 'POST' }), connection).then((result) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(result));
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }, 60_000);

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  function present(key?: string, cert?: string): Promise<CallerCheck> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, method: 'POST', servername: 'localhost', ca: caPem, agent: false, ...(key === undefined ? {} : { key, cert }) },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString('utf8');
          });
          res.on('end', () => {
            resolve(JSON.parse(body) as CallerCheck);
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('accepts the CA-issued certificate by CN or by the fingerprint openssl prints, and refuses a self-signed one and none', async () => {
    auth = createCallerAuth({ clientCertificate: { subjects: ['b2c-caller'] } });
    expect(await present(clientKey, clientCert)).toEqual({ ok: true, identity: { method: 'client-certificate', subject: 'b2c-caller' } });
    expect(await present(rogueKey, rogueCert)).toEqual({ ok: false, reason: 'client-certificate: the TLS layer did not verify the certificate chain' });
    expect(await present()).toEqual({ ok: false, reason: 'client-certificate: no client certificate (the host must request one and pass it on)' });
    auth = createCallerAuth({ clientCertificate: { thumbprints: [clientFingerprint] } });
    expect(await present(clientKey, clientCert)).toMatchObject({ ok: true });
    auth = createCallerAuth({ clientCertificate: { thumbprints: [clientFingerprint], requireAuthorized: false } });
    expect((await present(rogueKey, rogueCert)).ok).toBe(false);
  });
});

const issuer = 'https://login.example.com/tenant/v2.0';
const audience = 'api://jit.example.com/11111111-2222-3333-4444-555555555555';
const callerId = 'caller-app-id';

interface Keys {
  signer: { publicKey: CryptoKey; privateKey: CryptoKey };
  publicPem: string;
  publicJwk: JWK;
  stranger: { publicKey: CryptoKey; privateKey: CryptoKey };
  rotated: { publicKey: CryptoKey; privateKey: CryptoKey };
  rotatedJwk: JWK;
}

let keys: Keys;

beforeAll(async () => {
  const signer = await generateKeyPair('RS256', { extractable: true });
  const rotated = await generateKeyPair('RS256', { extractable: true });
  keys = {
    signer,
    publicPem: await exportSPKI(signer.publicKey),
    publicJwk: await exportJWK(signer.publicKey),
    stranger: await generateKeyPair('RS256'),
    rotated,
    rotatedJwk: await exportJWK(rotated.publicKey),
  };
});

const now = (): number => Math.floor(Date.now() / 1000);

/** A token with good claims by default; a claim set to undefined is left out. */
async function token(claims: Record<string, unknown> = {}, options: { key?: CryptoKey | Uint8Array; alg?: string; kid?: string } = {}): Promise<string> {
  const merged: Record<string, unknown> = { iss: issuer, aud: audience, azp: callerId, sub: 'service-principal', iat: now(), exp: now() + 300, ...claims };
  const payload: JWTPayload = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
  return new SignJWT(payload)
    .setProtectedHeader({ alg: options.alg ?? 'RS256', typ: 'JWT', ...(options.kid === undefined ? {} : { kid: options.kid }) })
    .sign(options.key ?? keys.signer.privateKey);
}

const bearer = (jwt: string): Request => call({ authorization: `Bearer ${jwt}` });

describe('bearer with configured keys', () => {
  let auth: CallerAuthenticator;
  beforeAll(() => {
    auth = createCallerAuth({ bearer: { issuer, audience, allowedCallers: [callerId], keys: [keys.publicPem] } });
  });

  it('accepts a valid token, with the key as PEM or as JWK', async () => {
    expect(await accepted(auth, bearer(await token()))).toEqual({ method: 'bearer', subject: callerId });
    const byJwk = createCallerAuth({ bearer: { issuer, audience, keys: [keys.publicJwk] } });
    expect(await accepted(byJwk, bearer(await token()))).toEqual({ method: 'bearer', subject: callerId });
    const lowercase = call({ authorization: `bearer ${await token()}` });
    expect((await auth(lowercase, {})).ok).toBe(true);
  });

  it('refuses an expired token, and tolerates clock skew within clockToleranceSeconds', async () => {
    expect(await refused(auth, bearer(await token({ iat: now() - 7200, exp: now() - 3600 })))).toMatch(/^bearer: token expired \(exp \d{4}-.*tolerance 60 s\)$/u);
    expect(await accepted(auth, bearer(await token({ exp: now() - 30 })))).toMatchObject({ method: 'bearer' });
    const strict = createCallerAuth({ bearer: { issuer, audience, keys: [keys.publicPem], clockToleranceSeconds: 0 } });
    expect(await refused(strict, bearer(await token({ exp: now() - 30 })))).toMatch(/token expired/u);
  });

  it('refuses a token that is not valid yet (nbf)', async () => {
    expect(await refused(auth, bearer(await token({ nbf: now() + 3600 })))).toMatch(/^bearer: token not yet valid \(nbf /u);
  });

  it('refuses a token without exp', async () => {
    expect(await refused(auth, bearer(await token({ exp: undefined })))).toBe('bearer: token has no "exp" claim');
  });

  it('refuses a wrong issuer and a wrong audience', async () => {
    expect(await refused(auth, bearer(await token({ iss: 'https://evil.example.com/v2.0' })))).toBe('bearer: unexpected issuer "https://evil.example.com/v2.0"');
    expect(await refused(auth, bearer(await token({ aud: 'api://someone-else' })))).toBe('bearer: unexpected audience "api://someone-else"');
    expect(await refused(auth, bearer(await token({ iss: undefined })))).toBe('bearer: token has no "iss" claim');
  });

  it('refuses a calling application that is not allowed, and a token that names none', async () => {
    expect(await refused(auth, bearer(await token({ azp: 'another-app' })))).toBe('bearer: calling application "another-app" (azp/appid) is not in allowedCallers');
    expect(await refused(auth, bearer(await token({ azp: undefined })))).toBe('bearer: token names no calling application (neither azp nor appid)');
    expect(await refused(auth, bearer(await token({ appid: 'another-app' })))).toMatch(/"another-app" \(azp\/appid\) is not in allowedCallers/u);
  });

  it('reads appid from v1 tokens', async () => {
    expect(await accepted(auth, bearer(await token({ azp: undefined, appid: callerId, ver: '1.0' })))).toEqual({ method: 'bearer', subject: callerId });
    expect(await refused(auth, bearer(await token({ azp: undefined, appid: 'another-app', ver: '1.0' })))).toMatch(/not in allowedCallers/u);
  });

  it('without allowedCallers, accepts any calling application', async () => {
    const open = createCallerAuth({ bearer: { issuer, audience, keys: [keys.publicPem] } });
    expect(await accepted(open, bearer(await token({ azp: 'another-app' })))).toEqual({ method: 'bearer', subject: 'another-app' });
    expect(await accepted(open, bearer(await token({ azp: undefined })))).toEqual({ method: 'bearer', subject: 'service-principal' });
  });

  it('refuses an unsigned token (alg none)', async () => {
    const claims = { iss: issuer, aud: audience, azp: callerId, exp: now() + 300 };
    expect(await refused(auth, bearer(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`))).toBe('bearer: unsigned token (alg "none") refused');
    expect(await refused(auth, bearer(`${b64url({ alg: 'None' })}.${b64url(claims)}.`))).toBe('bearer: unsigned token (alg "none") refused');
    // Even with a signature part copied from a real token.
    const real = await token();
    expect(await refused(auth, bearer(`${b64url({ alg: 'none' })}.${b64url(claims)}.${real.split('.')[2]!}`))).toMatch(/alg "none"/u);
  });

  it('refuses an HS256 token whose secret is the RSA public key (algorithm confusion)', async () => {
    const encoder = new TextEncoder();
    const byPem = await token({}, { alg: 'HS256', key: encoder.encode(keys.publicPem) });
    const byJwk = await token({}, { alg: 'HS256', key: encoder.encode(JSON.stringify(keys.publicJwk)) });
    expect(await refused(auth, bearer(byPem))).toBe('bearer: algorithm "HS256" not allowed (allowed: RS256)');
    expect(await refused(auth, bearer(byJwk))).toBe('bearer: algorithm "HS256" not allowed (allowed: RS256)');

    // With HS256 explicitly allowed, HS tokens are checked with the configured secret only, never the RSA key.
    const secret = randomBytes(32);
    const mixed = createCallerAuth({
      bearer: { issuer, audience, algorithms: ['RS256', 'HS256'], keys: [keys.publicPem, { kty: 'oct', k: secret.toString('base64url') }] },
    });
    expect(await refused(mixed, bearer(byPem))).toBe('bearer: signature does not verify with keys[1]');
    expect(await refused(mixed, bearer(byJwk))).toBe('bearer: signature does not verify with keys[1]');
    expect(await accepted(mixed, bearer(await token({}, { alg: 'HS256', key: secret })))).toMatchObject({ method: 'bearer' });
    expect(await accepted(mixed, bearer(await token()))).toMatchObject({ method: 'bearer' });
  });

  it('refuses HS* without a symmetric key, and a symmetric key without HS*', () => {
    expect(configError({ bearer: { issuer, audience, algorithms: ['HS256'], keys: [keys.publicPem] } }).message).toMatch(/bearer\.algorithms.*symmetric key/u);
    expect(configError({ bearer: { issuer, audience, keys: [{ kty: 'oct', k: randomBytes(32).toString('base64url') }] } }).message).toMatch(/bearer\.keys.*HS256/u);
    expect(configError({ bearer: { issuer, audience, algorithms: ['HS256'], keys: [{ kty: 'oct', k: randomBytes(16).toString('base64url') }] } }).message).toMatch(/32 bytes/u);
    expect(configError({ bearer: { issuer, audience, algorithms: ['none'], keys: [keys.publicPem] } }).message).toMatch(/bearer\.algorithms\[0\]/u);
  });

  it('refuses a token signed by another key pair, even when its header offers that key (jwk, jku)', async () => {
    expect(await refused(auth, bearer(await token({}, { key: keys.stranger.privateKey })))).toBe('bearer: signature does not verify with keys[0]');
    const offered = await new SignJWT({ iss: issuer, aud: audience, azp: callerId, exp: now() + 300 })
      .setProtectedHeader({ alg: 'RS256', jwk: await exportJWK(keys.stranger.publicKey), jku: 'https://attacker.example.com/keys' })
      .sign(keys.stranger.privateKey);
    expect(await refused(auth, bearer(offered))).toBe('bearer: signature does not verify with keys[0]');
  });

  it('picks the key named by kid', async () => {
    const twoKeys = createCallerAuth({ bearer: { issuer, audience, keys: [{ ...keys.publicJwk, kid: 'a' }, { ...keys.rotatedJwk, kid: 'b' }] } });
    expect(await accepted(twoKeys, bearer(await token({}, { kid: 'b', key: keys.rotated.privateKey })))).toMatchObject({ method: 'bearer' });
    expect(await accepted(twoKeys, bearer(await token({}, { kid: 'a' })))).toMatchObject({ method: 'bearer' });
    // Signed by key b but claiming kid a: only key a is tried.
    expect(await refused(twoKeys, bearer(await token({}, { kid: 'a', key: keys.rotated.privateKey })))).toBe('bearer: signature does not verify with key "a"');
    expect(await refused(twoKeys, bearer(await token({}, { kid: 'c' })))).toBe('bearer: no configured key fits RS256 with kid "c"');
    // Without kid, every fitting key is tried.
    expect(await accepted(twoKeys, bearer(await token({}, { key: keys.rotated.privateKey })))).toMatchObject({ method: 'bearer' });
  });

  it('verifies ES256 with a key taken from an X.509 certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'caller-auth-es-'));
    try {
      const certificates = await makeTestCertificates(dir, { caName: 'signer-ca', commonName: 'token-signer', ip: '127.0.0.1', dnsName: 'localhost' });
      const privateKey = await importPKCS8(await readFile(certificates.keyFile, 'utf8'), 'ES256');
      const es = createCallerAuth({ bearer: { issuer, audience, algorithms: ['ES256'], keys: [await readFile(certificates.certFile, 'utf8')] } });
      expect(await accepted(es, bearer(await token({}, { alg: 'ES256', key: privateKey })))).toMatchObject({ method: 'bearer' });
      expect(await refused(es, bearer(await token()))).toBe('bearer: algorithm "RS256" not allowed (allowed: ES256)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses missing and malformed tokens', async () => {
    expect(await refused(auth, call())).toBe('bearer: no Authorization header');
    expect(await refused(auth, call({ authorization: basic('a', 'b') }))).toBe('bearer: Authorization header is not Bearer');
    expect(await refused(auth, call({ authorization: 'Bearer not-a-jwt' }))).toBe('bearer: token is not a compact JWS (header.payload.signature)');
    expect(await refused(auth, call({ authorization: 'Bearer aaa.bbb.ccc' }))).toBe('bearer: token header is not base64url JSON');
    expect(await refused(auth, call({ authorization: `Bearer ${b64url({ typ: 'JWT' })}.${b64url({})}.abc` }))).toBe('bearer: token header has no alg');
    const real = await token();
    const [head, , signature] = real.split('.');
    expect(await refused(auth, bearer(`${head!}.${b64url({ iss: issuer, aud: audience, azp: callerId, exp: now() + 300, admin: true })}.${signature!}`))).toBe(
      'bearer: signature does not verify with keys[0]',
    );
  });

  it('refuses private keys and unusable keys in the options without quoting them', async () => {
    const privatePem = await exportPKCS8((await generateKeyPair('RS256', { extractable: true })).privateKey);
    const error = configError({ bearer: { issuer, audience, keys: [privatePem] } });
    expect(error.message).toMatch(/bearer\.keys\[0\].*private key/u);
    expect(error.message).not.toContain(privatePem.split('\n')[1]);
    const privateJwk = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
    expect(configError({ bearer: { issuer, audience, algorithms: ['ES256'], keys: [privateJwk] } }).message).toMatch(/private JWK/u);
    expect(configError({ bearer: { issuer, audience, keys: ['-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----'] } }).message).toMatch(/does not parse/u);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    expect(configError({ bearer: { issuer, audience, keys: [small] } }).message).toMatch(/2048 bits/u);
    expect(configError({ bearer: { issuer, audience, keys: [{ ...keys.publicJwk, use: 'enc' }] } }).message).toMatch(/"use"/u);
  });

  it('demands issuer, audience and a key source', () => {
    expect(configError({ bearer: { audience, keys: [keys.publicPem] } }).message).toMatch(/bearer\.issuer/u);
    expect(configError({ bearer: { issuer, keys: [keys.publicPem] } }).message).toMatch(/bearer\.audience/u);
    expect(configError({ bearer: { issuer, audience } }).message).toMatch(/bearer\.keys.*jwksUrl/u);
    expect(configError({ bearer: { issuer, audience, jwksUrl: 'http://idp.example.com/keys' } }).message).toMatch(/bearer\.jwksUrl.*https/u);
    expect(configError({ bearer: { issuer, audience, keys: [keys.publicPem], isuer: issuer } }).message).toMatch(/unknown key "bearer\.isuer"/u);
  });
});

interface JwksServer {
  url: string;
  requests: () => number;
  serve: (mode: { keys: JWK[] } | 'error' | 'hang') => void;
  close: () => Promise<void>;
}

async function jwksServer(initial: { keys: JWK[] } | 'error' | 'hang'): Promise<JwksServer> {
  let mode = initial;
  let count = 0;
  const server: Server = createServer((_req, res) => {
    count += 1;
    if (mode === 'hang') return;
    if (mode === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(JSON.stringify(mode));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/discovery/v2.0/keys`,
    requests: () => count,
    serve: (next) => {
      mode = next;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('bearer with a JWKS URL', () => {
  const servers: JwksServer[] = [];
  const start = async (initial: { keys: JWK[] } | 'error' | 'hang'): Promise<JwksServer> => {
    const server = await jwksServer(initial);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('accepts a token whose kid is in the set, and follows a key rotation', async () => {
    const server = await start({ keys: [{ ...keys.publicJwk, kid: 'k1', use: 'sig', alg: 'RS256' }] });
    const auth = createCallerAuth({ bearer: { issuer, audience, allowedCallers: [callerId], jwksUrl: server.url, jwksCooldownMs: 0 } });
    expect(await accepted(auth, bearer(await token({}, { kid: 'k1' })))).toEqual({ method: 'bearer', subject: callerId });
    expect(await accepted(auth, bearer(await token({}, { kid: 'k1' })))).toMatchObject({ method: 'bearer' });
    expect(server.requests()).toBe(1);

    server.serve({ keys: [{ ...keys.rotatedJwk, kid: 'k2', use: 'sig' }] });
    expect(await accepted(auth, bearer(await token({}, { kid: 'k2', key: keys.rotated.privateKey })))).toMatchObject({ method: 'bearer' });
    expect(server.requests()).toBe(2);
    expect(await refused(auth, bearer(await token({}, { kid: 'k1' })))).toBe('bearer: no key in the JWKS for kid "k1"');
    // A valid kid with the wrong key, and claims checked after a JWKS key verified.
    expect(await refused(auth, bearer(await token({}, { kid: 'k2' })))).toBe('bearer: signature does not verify with the JWKS key for kid "k2"');
    expect(await refused(auth, bearer(await token({ aud: 'api://other' }, { kid: 'k2', key: keys.rotated.privateKey })))).toBe('bearer: unexpected audience "api://other"');
  });

  it('does not refetch for unknown kids during the cooldown', async () => {
    const server = await start({ keys: [{ ...keys.publicJwk, kid: 'k1' }] });
    const auth = createCallerAuth({ bearer: { issuer, audience, jwksUrl: server.url } });
    expect(await accepted(auth, bearer(await token({}, { kid: 'k1' })))).toMatchObject({ method: 'bearer' });
    for (const kid of ['x1', 'x2', 'x3']) expect(await refused(auth, bearer(await token({}, { kid })))).toBe(`bearer: no key in the JWKS for kid "${kid}"`);
    expect(server.requests()).toBe(1);
  });

  it('tries each key of the set for a token without kid', async () => {
    const server = await start({ keys: [{ ...keys.rotatedJwk, kid: 'k2' }, { ...keys.publicJwk, kid: 'k1' }] });
    const auth = createCallerAuth({ bearer: { issuer, audience, jwksUrl: server.url } });
    expect(await accepted(auth, bearer(await token()))).toMatchObject({ method: 'bearer' });
    expect(await refused(auth, bearer(await token({}, { key: keys.stranger.privateKey })))).toBe('bearer: no key of the JWKS verifies a kid-less token');
  });

  it('refuses with a reason, and does not throw, when the JWKS server is down', async () => {
    const server = await start({ keys: [] });
    const url = server.url;
    await servers.splice(0)[0]!.close();
    const auth = createCallerAuth({ bearer: { issuer, audience, jwksUrl: url } });
    const reason = await refused(auth, bearer(await token({}, { kid: 'k1' })));
    expect(reason).toMatch(/^bearer: JWKS fetch failed: .*ECONNREFUSED/u);
    expect(await refused(auth, bearer(await token({}, { kid: 'k1' })))).toMatch(/^bearer: JWKS unavailable \(a fetch failed \d+ ms ago: .*ECONNREFUSED/u);
  });

  it('backs off after a failed fetch, then recovers', async () => {
    const server = await start('error');
    const auth = createCallerAuth({ bearer: { issuer, audience, jwksUrl: server.url, jwksFailureBackoffMs: 300 } });
    expect(await refused(auth, bearer(await token({}, { kid: 'k1' })))).toBe('bearer: JWKS fetch failed: ERR_JOSE_GENERIC: Expected 200 OK from the JSON Web Key Set HTTP response');
    expect(await refused(auth, bearer(await token({}, { kid: 'k1' })))).toMatch(/JWKS unavailable/u);
    expect(server.requests()).toBe(1);
    server.serve({ keys: [{ ...keys.publicJwk, kid: 'k1' }] });
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await accepted(auth, bearer(await token({}, { kid: 'k1' })))).toMatchObject({ method: 'bearer' });
    expect(server.requests()).toBe(2);
  });

  it('gives up on a JWKS server that does not answer within jwksTimeoutMs', async () => {
    const server = await start('hang');
    const auth = createCallerAuth({ bearer: { issuer, audience, jwksUrl: server.url, jwksTimeoutMs: 200 } });
    const started = performance.now();
    expect(await refused(auth, bearer(await token({}, { kid: 'k1' })))).toBe('bearer: JWKS fetch failed: timed out after 200 ms');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('never sends an HS* token to the JWKS', async () => {
    const server = await start({ keys: [{ ...keys.publicJwk, kid: 'k1' }] });
    const secret = randomBytes(32);
    const auth = createCallerAuth({ bearer: { issuer, audience, jwksUrl: server.url, algorithms: ['RS256', 'HS256'], keys: [{ kty: 'oct', k: secret.toString('base64url') }] } });
    const forged = await token({}, { alg: 'HS256', kid: 'k1', key: new TextEncoder().encode(keys.publicPem) });
    expect(await refused(auth, bearer(forged))).toBe('bearer: signature does not verify with keys[0]');
    expect(server.requests()).toBe(0);
  });
});

describe('Entra custom extension tokens', () => {
  const tenantId = 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE';
  const tenant = tenantId.toLowerCase();
  const extensionAudience = 'api://auth.contoso.com/12345678-1234-1234-1234-123456789abc';
  const entraCaller = '99045fe1-7639-4a75-9d4a-577b6ca3810f';
  const workforceIssuer = `https://login.microsoftonline.com/${tenant}/v2.0`;
  const ciamIssuer = `https://contoso.ciamlogin.com/${tenant}/v2.0`;
  let server: JwksServer;

  beforeAll(async () => {
    server = await jwksServer({ keys: [{ ...keys.publicJwk, kid: 'entra-1' }] });
  });
  afterAll(async () => {
    await server.close();
  });

  const entraToken = (claims: Record<string, unknown> = {}): Promise<string> =>
    token({ iss: workforceIssuer, aud: extensionAudience, azp: entraCaller, tid: tenant, ...claims }, { kid: 'entra-1' });

  it('entraBearer fills issuers, JWKS URL and the Entra caller id', () => {
    expect(entraBearer({ tenantId, audience: extensionAudience, domainName: 'Contoso' })).toEqual({
      issuer: [workforceIssuer, ciamIssuer],
      audience: extensionAudience,
      jwksUrl: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
      allowedCallers: [entraCaller],
    });
    expect(entraBearer({ tenantId, audience: extensionAudience }).issuer).toEqual([workforceIssuer]);
    expect(() => entraBearer({ tenantId: 'contoso.onmicrosoft.com', audience: extensionAudience })).toThrow(/tenantId.*GUID/u);
    expect(() => entraBearer({ tenantId, audience: extensionAudience, domainName: 'contoso.ciamlogin.com' })).toThrow(/subdomain only/u);
  });

  it('accepts Entra (azp and v1 appid) and refuses other applications of the same tenant', async () => {
    const auth = createCallerAuth({ bearer: { ...entraBearer({ tenantId, audience: extensionAudience }), jwksUrl: server.url } });
    expect(await accepted(auth, bearer(await entraToken()))).toEqual({ method: 'bearer', subject: entraCaller });
    expect(await accepted(auth, bearer(await entraToken({ azp: undefined, appid: entraCaller })))).toEqual({ method: 'bearer', subject: entraCaller });
    expect(await refused(auth, bearer(await entraToken({ azp: '00000000-0000-0000-0000-000000000001' })))).toMatch(/is not in allowedCallers/u);
    expect(await refused(auth, bearer(await entraToken({ aud: '12345678-1234-1234-1234-000000000000' })))).toMatch(/unexpected audience/u);
    expect(await refused(auth, bearer(await entraToken({ iss: ciamIssuer })))).toBe(`bearer: unexpected issuer "${ciamIssuer}"`);
  });

  it('the entra preset does the same from a config file, with the ciamlogin.com issuer when domainName is given', async () => {
    const auth = createCallerAuth({ bearer: { entra: { tenantId, audience: extensionAudience, domainName: 'contoso' }, jwksUrl: server.url } });
    expect(await accepted(auth, bearer(await entraToken({ iss: ciamIssuer })))).toEqual({ method: 'bearer', subject: entraCaller });
    expect(await accepted(auth, bearer(await entraToken()))).toMatchObject({ method: 'bearer' });
    expect(await refused(auth, bearer(await entraToken({ azp: callerId })))).toMatch(/is not in allowedCallers/u);
    // An explicit allowedCallers replaces the preset's.
    const custom = createCallerAuth({ bearer: { entra: { tenantId, audience: extensionAudience }, jwksUrl: server.url, allowedCallers: [callerId] } });
    expect(await accepted(custom, bearer(await entraToken({ azp: callerId })))).toEqual({ method: 'bearer', subject: callerId });
    expect(await refused(custom, bearer(await entraToken()))).toMatch(/is not in allowedCallers/u);
  });

  it('the preset points at the tenant JWKS on login.microsoftonline.com', () => {
    const parsed = callerAuthSchema.parse({ bearer: { entra: { tenantId, audience: extensionAudience } } });
    expect(parsed.bearer?.jwksUrl).toBe(`https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`);
    expect(parsed.bearer?.allowedCallers).toEqual([entraCaller]);
    expect(parsed.bearer?.issuer).toEqual([workforceIssuer]);
  });
});

describe('several methods', () => {
  const password = 'b2c-basic-password-0123456789';
  const apiKeyValue = 'api-key-value-0123456789abcdef';
  let auth: CallerAuthenticator;
  beforeAll(() => {
    auth = createCallerAuth({
      basic: { users: [{ username: 'b2c', password }] },
      apiKey: { keys: [{ label: 'primary', value: apiKeyValue }] },
      bearer: { issuer, audience, keys: [keys.publicPem] },
    });
  });

  it('any one method suffices', async () => {
    expect(await accepted(auth, call({ authorization: basic('b2c', 'wrong-password-0000000'), 'x-api-key': apiKeyValue }))).toEqual({ method: 'api-key', subject: 'primary' });
    expect(await accepted(auth, call({ authorization: basic('b2c', password) }))).toEqual({ method: 'basic', subject: 'b2c' });
    expect(await accepted(auth, bearer(await token()))).toMatchObject({ method: 'bearer' });
  });

  it('a method that throws is a refusal naming the error class only, and the next method still decides', async () => {
    /** A request whose `headers.get` throws for the named headers, with a message that must not be repeated. */
    const throwing = (names: readonly string[], headers: Record<string, string> = {}): Request => {
      const request = call(headers);
      const get = request.headers.get.bind(request.headers);
      Object.defineProperty(request, 'headers', {
        value: { get: (name: string) => (names.includes(name.toLowerCase()) ? (() => { throw new TypeError('boom: secret-detail'); })() : get(name)) },
      });
      return request;
    };
    // A synchronous throw (API key) and the bearer check's own read: each named, none quoted.
    const reason = await refused(auth, throwing(['x-api-key', 'authorization']));
    expect(reason).toBe('api-key: failed unexpectedly (TypeError); basic: failed unexpectedly (TypeError); bearer: failed unexpectedly (TypeError)');
    expect(reason).not.toContain('secret-detail');
    // The API key method throws; Basic, next in order, accepts.
    expect(await accepted(auth, throwing(['x-api-key'], { authorization: basic('b2c', password) }))).toEqual({ method: 'basic', subject: 'b2c' });
    // The API key method throws and Basic refuses a Bearer header; the bearer token, checked asynchronously, accepts.
    expect(await accepted(auth, throwing(['x-api-key'], { authorization: `Bearer ${await token()}` }))).toMatchObject({ method: 'bearer' });
  });

  it('a refusal names each method tried and why it failed', async () => {
    expect(await refused(auth, call())).toBe('api-key: no x-api-key header; basic: no Authorization header; bearer: no Authorization header');
    expect(await refused(auth, call({ authorization: basic('b2c', 'wrong-password-0000000') }))).toBe(
      'api-key: no x-api-key header; basic: wrong password for a configured user; bearer: Authorization header is not Bearer',
    );
  });
});

describe('configuration', () => {
  it('no method and no insecureDev is a typed configuration error', () => {
    const error = configError({});
    expect(error.message).toBe('caller authentication: invalid value at "(root)": configure at least one of clientCertificate, apiKey, basic, bearer (insecureDev: true only for local development)');
    expect(configError({ insecureDev: false }).message).toMatch(/at least one of/u);
  });

  it('insecureDev accepts everyone and says so loudly', async () => {
    const lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
    const logger: Logger = {
      debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
      info: (message, fields) => lines.push({ level: 'info', message, fields }),
      warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
      error: (message, fields) => lines.push({ level: 'error', message, fields }),
    };
    const auth = createCallerAuth({ insecureDev: true, logger });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', message: expect.stringMatching(/OFF \(insecureDev\).*every caller/u) as unknown });
    expect(await accepted(auth, call())).toEqual({ method: 'insecure-dev' });

    const emitted = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      createCallerAuth({ insecureDev: true });
      expect(emitted).toHaveBeenCalledWith(expect.stringMatching(/insecureDev/u), { code: 'LEGACY_IDP_INSECURE_CALLER_AUTH' });
    } finally {
      emitted.mockRestore();
    }
  });

  it('insecureDev cannot be combined with a method', () => {
    expect(configError({ insecureDev: true, apiKey: { keys: [{ value: 'api-key-value-0123456789abcdef' }] } }).message).toMatch(/insecureDev.*apiKey/u);
  });

  it('Basic options: short passwords, colons in names and duplicate users are refused, without quoting the password', () => {
    const short = configError({ basic: { users: [{ username: 'b2c', password: 'hunter2' }] } });
    expect(short.message).toMatch(/basic\.users\[0\]\.password.*16 characters/u);
    expect(short.message).not.toContain('hunter2');
    expect(JSON.stringify(short)).not.toContain('hunter2');
    expect(configError({ basic: { users: [{ username: 'a:b', password: 'b2c-basic-password-0123456789' }] } }).message).toMatch(/cannot contain ':'/u);
    const twice = { username: 'b2c', password: 'b2c-basic-password-0123456789' };
    expect(configError({ basic: { users: [twice, twice] } }).message).toMatch(/once/u);
  });
});

describe('secrets stay out of reasons', () => {
  it('the Basic password, the API key and the token never appear in a refusal reason', async () => {
    const password = 'CANARY-basic-password-7f3a9c';
    const apiKeyValue = 'CANARY-api-key-value-51be0d';
    const auth = createCallerAuth({
      basic: { users: [{ username: 'b2c', password }] },
      apiKey: { keys: [{ value: apiKeyValue }] },
      bearer: { issuer, audience, allowedCallers: [callerId], keys: [keys.publicPem] },
    });
    const expired = await token({ iat: now() - 7200, exp: now() - 3600 });
    const wrongIssuer = await token({ iss: 'https://evil.example.com' });
    const strangerSigned = await token({}, { key: keys.stranger.privateKey });
    const hsForged = await token({}, { alg: 'HS256', key: new TextEncoder().encode(keys.publicPem) });
    const tokens = [expired, wrongIssuer, strangerSigned, hsForged];
    const requests = [
      call({ authorization: basic('b2c', `${password}-wrong`) }),
      call({ authorization: basic('nobody', password) }),
      call({ authorization: basic(password, apiKeyValue) }),
      call({ authorization: `Basic ${password}` }),
      call({ authorization: password }),
      call({ authorization: `${password} ${apiKeyValue}` }),
      call({ 'x-api-key': `${apiKeyValue}-wrong` }),
      call({ 'x-api-key': password, authorization: `Bearer ${apiKeyValue}` }),
      ...tokens.map((jwt) => call({ authorization: `Bearer ${jwt}` })),
      call({ authorization: `Bearer ${expired}x` }),
      call({ authorization: `Bearer ${password}.${apiKeyValue}.x` }),
    ];
    const canaries = ['CANARY', password, apiKeyValue, ...tokens, ...tokens.map((jwt) => jwt.split('.')[2]!), Buffer.from(`b2c:${password}-wrong`).toString('base64')];
    for (const request of requests) {
      const reason = await refused(auth, request);
      expect(reason.length).toBeGreaterThan(0);
      for (const canary of canaries) expect(reason).not.toContain(canary);
    }
  });

  it('the endpoint answers a bare 401 and logs the reason without the secret', async () => {
    const password = 'CANARY-basic-password-7f3a9c';
    const lines: LogFields[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (_message, fields) => lines.push(fields ?? {}),
      warn: (_message, fields) => lines.push(fields ?? {}),
      error: (_message, fields) => lines.push(fields ?? {}),
    };
    const handle = vi.fn(() => Promise.resolve({ answer: jsonAnswer(200, { ok: true }), outcome: 'valid' }));
    const endpoint = createJitEndpoint(
      {
        name: 'test',
        input: z.unknown(),
        errorAnswer: (kind) => jsonAnswer(jitErrorStatus[kind], { error: kind }),
        handle,
      },
      { callerAuth: createCallerAuth({ basic: { users: [{ username: 'b2c', password }] } }), logger },
    );
    const post = (authorization: string): Request =>
      new Request(endpointUrl, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ password: 'user-secret' }) });
    const denied = await endpoint(post(basic('b2c', `${password}-wrong`)));
    expect(denied.status).toBe(401);
    expect(await denied.text()).toBe('{"error":"unauthorized"}');
    expect(handle).not.toHaveBeenCalled();
    expect(lines[0]).toMatchObject({ status: 401, outcome: 'unauthorized', detail: 'basic: wrong password for a configured user' });
    expect(JSON.stringify(lines)).not.toContain('CANARY');
    const allowed = await endpoint(post(basic('b2c', password)));
    expect(allowed.status).toBe(200);
    expect(handle).toHaveBeenCalledTimes(1);
  });
});
