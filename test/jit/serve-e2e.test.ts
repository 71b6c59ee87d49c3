import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactEncrypt, exportPKCS8, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScript } from '../harness/process.js';
import { connectRedis, createRedisKeyPrefix, describeWithService, serviceAvailable, startSlapd, type RedisKeyPrefix, type SlapdInstance } from '../harness/services.js';

/**
 * `legacy-idp serve` as a user runs it: a child process, its printed startup lines, real HTTP, SIGTERM.
 * The embedded default must answer the curl lines it prints (run through the shell as pasted); a config with
 * the LDAP store on a real slapd and the lockout on a real Redis must answer B2C and Entra calls.
 */

interface Served {
  child: ChildProcess;
  output: () => string;
  /** What the server wrote on standard error: its JSON log lines. */
  logs: () => string;
  url: string;
  stop: () => Promise<number | null>;
}

async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const started = await startScript(['src/cli/main.ts', 'serve', ...args], {
    env: { ...process.env, ...env },
    what: 'legacy-idp serve',
    timeoutMs: 60_000,
    ready: (stdout) => {
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/u.exec(stdout)?.[1];
      // The embedded default prints its curl lines after the listening line; wait for the last one.
      return url && (!args.includes('--config') ? stdout.includes('/readyz') : true) ? url : undefined;
    },
  });
  return {
    child: started.child,
    url: started.ready,
    output: started.stdout,
    logs: started.stderr,
    stop: async () => (await started.stop()).code,
  };
}

describe('legacy-idp serve: the embedded default', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve(['--port', '0']);
  }, 90_000);
  afterAll(async () => {
    await served.stop();
  });

  it('answers every curl line it prints, pasted into a shell', async () => {
    const lines = served
      .output()
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('curl '));
    expect(lines.length).toBeGreaterThanOrEqual(7);
    const answers = lines.map((line) => {
      const run = spawnSync('sh', ['-c', line], { encoding: 'utf8', timeout: 20_000 });
      expect(run.status, line).toBe(0);
      return { line, body: JSON.parse(run.stdout) as Record<string, unknown> };
    });
    const answer = (path: string, index = 0) => answers.filter((entry) => entry.line.includes(path))[index]?.body;
    expect(answer('/api/verify')).toMatchObject({ status: 'valid', subjectId: 'demo-0001', profile: { email: 'alice@example.org' } });
    expect(answer('/api/b2c/signin', 0)).toMatchObject({ needToMigrate: 'local', email: 'bob@example.org' });
    expect(answer('/api/b2c/signin', 1)).toMatchObject({ status: 409, userMessage: expect.stringMatching(/incorrect/u) as unknown });
    expect(answer('/api/b2c/seamless')).toEqual({ tokenSuccess: true, migrationRequired: false });
    expect(answer('/api/b2c/signup-check')).toMatchObject({ status: 409 });
    expect(answer('/api/entra')).toMatchObject({ data: { actions: [{ '@odata.type': 'microsoft.graph.passwordSubmit.MigratePassword' }], nonce: 'demo-nonce-0001' } });
    expect(answer('/readyz')).toEqual({ status: 'ready' });

    // One info line per JIT call, carrying the outcome's reason; the Authenticator's own line is debug only.
    // (The shell runs above blocked this process: let it read what the server wrote meanwhile.)
    await new Promise((resolve) => setTimeout(resolve, 300));
    const infoLines = served
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['level'] === 'info');
    const jitCalls = infoLines.filter((line) => line['message'] === 'jit call');
    expect(jitCalls).toHaveLength(lines.filter((line) => !line.includes('/readyz')).length);
    expect(infoLines.filter((line) => line['message'] === 'authentication finished')).toEqual([]);
    expect(jitCalls.find((line) => line['protocol'] === 'b2c' && line['outcome'] === 'invalid')).toMatchObject({ reason: 'wrong_password', username: 'bob@example.org' });
  });

  it('refuses a call without the API key it printed', async () => {
    const response = await fetch(`${served.url}/api/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"alice","password":"Wonderland-2024"}' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('stops on SIGTERM with exit status 0', async () => {
    const extra = await serve(['--port', '0']);
    expect(await extra.stop()).toBe(0);
    expect(extra.output()).toContain('legacy-idp serve: stopping');
  }, 90_000);
});

describeWithService('slapd', 'legacy-idp serve with an LDAP store (real slapd) and Redis lockout', () => {
  // Redis is one of the services every run has; without it this suite says so instead of failing oddly.
  if (!serviceAvailable('redis')) return;
  let slapd: SlapdInstance;
  let redis: RedisKeyPrefix;
  let served: Served;
  let dir: string;
  let publicKey: CryptoKey;
  const apiKey = randomBytes(24).toString('base64url');
  const entraKey = randomBytes(24).toString('base64url');
  const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
  const entraHeaders = { 'content-type': 'application/json', 'x-api-key': entraKey };

  beforeAll(async () => {
    slapd = await startSlapd();
    redis = createRedisKeyPrefix();
    dir = mkdtempSync(join(tmpdir(), 'legacy-idp-serve-e2e-'));
    const keys = await generateKeyPair('RSA-OAEP-256', { extractable: true });
    publicKey = keys.publicKey;
    writeFileSync(join(dir, 'entra-key.pem'), await exportPKCS8(keys.privateKey), { mode: 0o600 });
    // Written as `echo $KEY > jit-key.txt` would: with a final line break, which the reference drops.
    writeFileSync(join(dir, 'jit-key.txt'), `${apiKey}\n`, { mode: 0o600 });
    const config = {
      store: {
        type: 'ldap',
        urls: [slapd.url],
        serviceAccount: { dn: slapd.adminDn, passwordEnv: 'E2E_LDAP_PASSWORD' },
        bind: { mode: 'search', baseDn: slapd.baseDn },
        profiles: { baseDn: `ou=people,${slapd.baseDn}` },
      },
      lockout: { store: { redis: redis.url, keyPrefix: redis.prefix }, account: { threshold: 3, windowSeconds: 600 }, ip: false },
      serve: {
        port: 0,
        callerAuth: { apiKey: { keys: [{ label: 'e2e', value: { file: 'jit-key.txt' } }] } },
        routes: [
          { path: '/b2c', protocol: 'b2c', mode: 'claims' },
          {
            path: '/entra',
            protocol: 'entra',
            // Its own callers: the B2C key does not open this route.
            callerAuth: { apiKey: { keys: [{ label: 'entra', value: { env: 'E2E_ENTRA_KEY' } }] } },
            keys: [{ kid: 'e2e', privateKey: { file: 'entra-key.pem' } }],
            passwordPolicy: 'none',
            deadlineMs: 5_000,
          },
        ],
      },
    };
    writeFileSync(join(dir, 'legacy-idp.json'), JSON.stringify(config, null, 2));
    served = await serve(['--config', join(dir, 'legacy-idp.json')], { E2E_LDAP_PASSWORD: slapd.adminPassword, E2E_ENTRA_KEY: entraKey });
  }, 120_000);

  afterAll(async () => {
    await served.stop();
    await redis.cleanup();
    await slapd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const user = (uid: string) => {
    const found = slapd.users.find((candidate) => candidate.uid === uid);
    if (!found) throw new Error(`fixture user ${uid} missing`);
    return found;
  };

  async function b2c(signInName: string, password: string) {
    const response = await fetch(`${served.url}/b2c`, { method: 'POST', headers, body: JSON.stringify({ signInName, password }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function entra(username: string, password: string) {
    const nonce = randomUUID();
    const jws = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ 'user-password': password, nonce, username })).toString('base64url')}.`;
    const jwe = await new CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'e2e' }).encrypt(publicKey);
    const body = {
      type: 'microsoft.graph.authenticationEvent.passwordSubmit',
      data: { '@odata.type': 'microsoft.graph.onPasswordSubmitCalloutData', encryptedPasswordContext: jwe, authenticationContext: { correlationId: randomUUID(), client: { ip: '203.0.113.9' } } },
    };
    expect((await fetch(`${served.url}/entra`, { method: 'POST', headers, body: JSON.stringify(body) })).status).toBe(401);
    const response = await fetch(`${served.url}/entra`, { method: 'POST', headers: entraHeaders, body: JSON.stringify(body) });
    const answer = (await response.json()) as { data: { actions: Array<Record<string, string>>; nonce: string } };
    expect(answer.data.nonce).toBe(nonce);
    return answer.data.actions[0]?.['@odata.type'];
  }

  it('answers B2C with the directory profile for the right password and 409 for a wrong one', async () => {
    expect(await b2c('alice', user('alice').password)).toMatchObject({ status: 200, body: { needToMigrate: 'local' } });
    expect(await b2c('alice', 'not-her-password')).toMatchObject({ status: 409 });
  });

  it('answers Entra with MigratePassword and Retry, verified by binds against slapd', async () => {
    expect(await entra('bob', user('bob').password)).toBe('microsoft.graph.passwordSubmit.MigratePassword');
    expect(await entra('erin', user('erin').password)).toBe('microsoft.graph.passwordSubmit.MigratePassword');
    expect(await entra('bob', 'wrong-password')).toBe('microsoft.graph.passwordSubmit.Retry');
  });

  it('locks an account in Redis across protocols after three failures, then refuses even the right password', async () => {
    for (let i = 0; i < 3; i++) expect((await b2c('grace', `guess-${i}`)).status).toBe(409);
    const locked = await b2c('grace', user('grace').password);
    expect(locked.status).toBe(409);
    expect(locked.body['userMessage']).toMatch(/locked/u);
    expect(await entra('grace', user('grace').password)).toBe('microsoft.graph.passwordSubmit.Block');
    const client = connectRedis(redis.url);
    try {
      expect((await client.keys(`${redis.prefix}*`)).length).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });

  it('is ready while slapd answers, and logs no password', async () => {
    expect(await (await fetch(`${served.url}/readyz`)).json()).toEqual({ status: 'ready' });
    expect(served.output()).not.toContain(user('alice').password);
  });
});
