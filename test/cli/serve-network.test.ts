import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { startScript } from '../harness/process.js';
import { cli, type CliRun } from './run-cli.js';

/**
 * `legacy-idp serve` and the network. A caller that left while its bearer token was being checked (the JWKS fetch
 * still running) left a call that never ended; on SIGTERM the stop then waited on it with nothing holding the
 * event loop, and the process ended with status 13, without `jit server stopped` and without closing its stores.
 * Config that could never work was taken: a client-certificate caller check without TLS asking for one (every
 * call 401), route paths no request can match, free text as a trusted proxy.
 */

const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-serve-network-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

const memoryStore = { type: 'memory', users: [{ username: 'alice', password: 'Legacy-Pass-1' }] };
const apiKeyAuth = { apiKey: { keys: [{ label: 't', value: 'abcdefghijklmnop1234' }] } };

/** serve logs JSON lines before it fails: its error is the one plain line, and the status is 2. */
function expectServeConfigError(run: CliRun, pattern: RegExp): void {
  expect(run.code).toBe(2);
  const plain = run.stderr.trim().split('\n').filter((line) => !line.startsWith('{'));
  expect(plain).toHaveLength(1);
  expect(plain[0]).toMatch(pattern);
  expect(plain[0]).toContain('ERR_LEGACY_IDP_CONFIG_INVALID');
}

describe('legacy-idp serve: network config that could never work is refused (exit 2)', () => {
  it('a clientCertificate caller check without tls, or without tls.requestClientCertificate', async () => {
    const byCertificate = { clientCertificate: { subjects: ['b2c-caller'] } };
    const shared = write('mtls-notls.json', { store: memoryStore, serve: { port: 0, callerAuth: byCertificate, routes: [{ path: '/v', protocol: 'generic' }] } });
    expectServeConfigError(await cli(['serve', '-c', shared]), /serve\.callerAuth\.clientCertificate needs a client certificate.*serve\.tls is not set/u);
    const perRoute = write('mtls-route.json', { store: memoryStore, serve: { port: 0, callerAuth: apiKeyAuth, routes: [{ path: '/v', protocol: 'generic' }, { path: '/w', protocol: 'generic', callerAuth: byCertificate }] } });
    expectServeConfigError(await cli(['serve', '-c', perRoute]), /serve\.routes\[1\]\.callerAuth\.clientCertificate needs a client certificate/u);
    const pem = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n';
    const notAsked = write('mtls-notasked.json', { store: memoryStore, serve: { port: 0, tls: { cert: pem, key: pem }, callerAuth: byCertificate, routes: [{ path: '/v', protocol: 'generic' }] } });
    expectServeConfigError(await cli(['serve', '-c', notAsked]), /serve\.tls\.requestClientCertificate is not true/u);
  });

  it('a route path no request can match', async () => {
    for (const path of ['/api/./verify', '/api/x/../verify', '//api/verify', '/api/verify/.']) {
      const config = write('dot-route.json', { store: memoryStore, serve: { port: 0, callerAuth: apiKeyAuth, routes: [{ path, protocol: 'generic' }] } });
      expectServeConfigError(await cli(['serve', '-c', config]), /routes.*can never match a request/u);
    }
  });

  it('a trustProxy list entry that is not an address or CIDR range', async () => {
    const config = write('proxy-name.json', { store: memoryStore, serve: { port: 0, trustProxy: ['10.0.0.0/8', 'proxy.internal'], callerAuth: apiKeyAuth, routes: [{ path: '/v', protocol: 'generic' }] } });
    expectServeConfigError(await cli(['serve', '-c', config]), /trustProxy.*IP address or CIDR range/u);
  });
});

describe('legacy-idp serve: a caller that leaves while its bearer token is checked', () => {
  it('logs the call as client_gone, and a SIGTERM afterwards stops cleanly (status 0, last line jit server stopped)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig', alg: 'RS256' };
    // The issuer's JWKS answers in 800 ms, under jwksTimeoutMs (1.5 s).
    const jwks: Server = createServer((_request, response) => {
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [jwk] }));
      }, 800);
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const config = write('bearer.json', {
      store: memoryStore,
      serve: {
        port: 0,
        shutdownTimeoutMs: 3_000,
        // Max age 0: every call fetches the set, as a call after a key rotation does.
        callerAuth: { bearer: { issuer: 'https://iss', audience: 'api', allowedCallers: ['app'], jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/keys`, jwksCacheMaxAgeMs: 0 } },
        routes: [{ path: '/api/verify', protocol: 'generic' }],
      },
    });
    const token = await new SignJWT({ azp: 'app' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('https://iss').setAudience('api').setExpirationTime('5m').sign(privateKey);
    const started = await startScript(['src/cli/main.ts', 'serve', '--config', config], {
      env: { ...process.env },
      what: 'legacy-idp serve',
      timeoutMs: 60_000,
      ready: (stdout) => /listening on http:\/\/127\.0\.0\.1:(\d+)/u.exec(stdout)?.[1],
    });
    try {
      const body = JSON.stringify({ username: 'alice', password: 'Legacy-Pass-1' });
      const socket = connect(Number(started.ready), '127.0.0.1');
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      socket.write(`POST /api/verify HTTP/1.1\r\nHost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The caller gives up while the JWKS fetch still runs.
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const exited = await started.stop();
      expect(exited).toEqual({ code: 0, signal: null });
    } finally {
      await started.stop();
      jwks.closeAllConnections();
      await new Promise((resolve) => jwks.close(resolve));
    }
    const lines = started
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line['message'] === 'jit call').map((line) => [line['status'], line['outcome']])).toEqual([[499, 'client_gone']]);
    expect(lines.at(-1)).toMatchObject({ message: 'jit server stopped', abandoned: 0 });
    expect(started.stdout()).toContain('legacy-idp serve: stopping');
  }, 60_000);
});
