import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScript } from '../harness/process.js';

// The lockout examples are servers: each one is started as a user would start it and driven over real HTTP.
const adminToken = 'test-admin-token-4f1c';
const rightPassword = 'Wonderland-2024';
const invalidCredentials = { error: 'invalid_credentials', message: 'Wrong username or password.' };
const tooManyAttempts = { error: 'too_many_attempts', message: 'Too many sign-in attempts. Try again later.' };
const accountThreshold = 10;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

interface RunningExample {
  baseUrl: string;
  output: () => string;
  stop: () => Promise<unknown>;
}

async function start(file: string, token: string | null = adminToken): Promise<RunningExample> {
  // Development mode is where Express's own error page quotes the most: the examples must not rely on it.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', NODE_ENV: 'development' };
  if (token === null) delete env.LOCKOUT_ADMIN_TOKEN;
  else env.LOCKOUT_ADMIN_TOKEN = token;
  const started = await startScript([file], {
    env,
    what: file,
    ready: (stdout) => {
      const port = /^listening on (\d+)$/mu.exec(stdout)?.[1];
      return port === undefined ? undefined : Number(port);
    },
  });
  return { baseUrl: `http://127.0.0.1:${started.ready}`, output: () => started.stdout() + started.stderr(), stop: started.stop };
}

describe.each([
  ['Express', 'examples/lockout-express.ts'],
  ['Fastify', 'examples/lockout-fastify.ts'],
])('%s lockout example', (_name, file) => {
  let example: RunningExample | undefined;
  // Every response body, checked at the end for any password sent.
  const bodies: string[] = [];
  const passwordsSent = new Set<string>();

  beforeAll(async () => {
    example = await start(file);
  }, 40_000);

  afterAll(async () => {
    await example?.stop();
  });

  async function request(method: string, path: string, options: { body?: string; token?: string } = {}): Promise<Answer> {
    if (!example) throw new Error('the example is not running');
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const response = await fetch(`${example.baseUrl}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: options.body }) });
    const text = await response.text();
    bodies.push(text);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/u);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: JSON.parse(text) as unknown };
  }

  const login = (username: string, password: string): Promise<Answer> => {
    passwordsSent.add(password);
    return request('POST', '/login', { body: JSON.stringify({ username, password }) });
  };

  // Distinct wrong passwords, so the repeat rule does not absorb any of them.
  const wrongPasswords = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-wrong-${i}-Zq`);

  async function expectLocked(username: string): Promise<void> {
    const refused = await login(username, rightPassword);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(tooManyAttempts);
    expect(refused.retryAfter).toMatch(/^\d+$/u);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    // The default first lock is 60 s.
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
  }

  it('signs in with the right password, whatever the case and blanks of the name', async () => {
    expect(await login('alice', rightPassword)).toEqual({ status: 200, retryAfter: null, body: { username: 'alice' } });
    expect(await login('  ALICE ', rightPassword)).toEqual({ status: 200, retryAfter: null, body: { username: 'alice' } });
  });

  it('never locks on the same wrong password repeated 15 times', async () => {
    for (let i = 0; i < 15; i++) {
      expect(await login('alice', 'the-same-typo-Xv')).toEqual({ status: 401, retryAfter: null, body: invalidCredentials });
    }
    expect((await login('alice', rightPassword)).status).toBe(200);
  });

  it('refuses the attempt after 10 wrong passwords, even with the right password', async () => {
    for (const password of wrongPasswords('alice', accountThreshold)) {
      expect(await login('alice', password)).toEqual({ status: 401, retryAfter: null, body: invalidCredentials });
    }
    await expectLocked('alice');
    // The normalized name shares the lock.
    await expectLocked(' Alice');
  });

  it('shows the lock to an administrator, and only with the token', async () => {
    const path = '/admin/lockout?account=Alice';
    const anonymous = await request('GET', path);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ error: 'unauthorized', message: 'A bearer token is required.' });
    const wrongToken = await request('GET', path, { token: 'not-the-token' });
    expect(wrongToken.status).toBe(403);
    expect(wrongToken.body).toEqual({ error: 'forbidden', message: 'The token is not valid.' });

    const shown = await request('GET', path, { token: adminToken });
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({
      subject: { account: 'alice' },
      status: {
        scope: 'account',
        label: 'alice',
        failures: 0,
        lockCount: 1,
        permanent: false,
        locked: true,
        retryAfter: expect.any(Number) as unknown,
        lockedUntil: expect.stringMatching(/^\d{4}-\d\d-\d\dT/u) as unknown,
      },
    });
    const { retryAfter } = (shown.body as { status: { retryAfter: number } }).status;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('unlocks only with the token, and then lets the right password in', async () => {
    const body = JSON.stringify({ account: 'ALICE' });
    expect((await request('POST', '/admin/unlock', { body })).status).toBe(401);
    expect((await request('POST', '/admin/unlock', { body, token: 'not-the-token' })).status).toBe(403);
    await expectLocked('alice');

    const unlocked = await request('POST', '/admin/unlock', { body, token: adminToken });
    expect(unlocked).toEqual({ status: 200, retryAfter: null, body: { subject: { account: 'alice' }, unlocked: true } });
    expect(await login('alice', rightPassword)).toEqual({ status: 200, retryAfter: null, body: { username: 'alice' } });

    // A key with nothing left to hold may be dropped by the store: no status and an unlocked status both do.
    const after = await request('GET', '/admin/lockout?account=alice', { token: adminToken });
    expect(after.status).toBe(200);
    expect((after.body as { status: { locked: boolean } | null }).status?.locked ?? false).toBe(false);
  });

  it('treats an unknown username exactly like a known one', async () => {
    for (const password of wrongPasswords('mallory', accountThreshold)) {
      expect(await login('mallory', password)).toEqual({ status: 401, retryAfter: null, body: invalidCredentials });
    }
    await expectLocked('mallory');
    const shown = await request('GET', '/admin/lockout?account=mallory', { token: adminToken });
    expect(shown.body).toMatchObject({ status: { scope: 'account', locked: true, lockCount: 1 } });
  });

  it('answers a malformed request with a fixed body, without counting it', async () => {
    const broken = await request('POST', '/login', { body: '{"username":"bob","password":"Broken-Json-Secret' });
    passwordsSent.add('Broken-Json-Secret');
    expect(broken).toEqual({ status: 400, retryAfter: null, body: expect.objectContaining({ error: 'invalid_request' }) as unknown });
    const notStrings = await request('POST', '/login', { body: JSON.stringify({ username: { $ne: null }, password: 'Object-Name-Secret' }) });
    passwordsSent.add('Object-Name-Secret');
    expect(notStrings.status).toBe(400);
    expect((await login('bob', '')).status).toBe(400);
    expect((await request('GET', '/admin/lockout?account=bob', { token: adminToken })).body).toEqual({ subject: { account: 'bob' }, status: null });
  });

  it('refuses every admin call when no admin token is configured', async () => {
    const unguarded = await start(file, null);
    try {
      const turnedOff = { error: 'forbidden', message: 'The admin API is turned off.' };
      for (const token of [undefined, '', 'undefined', adminToken]) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (token !== undefined) headers.authorization = `Bearer ${token}`;
        const status = await fetch(`${unguarded.baseUrl}/admin/lockout?account=alice`, { headers });
        expect([status.status, await status.json()]).toEqual([403, turnedOff]);
        const unlock = await fetch(`${unguarded.baseUrl}/admin/unlock`, { method: 'POST', headers, body: JSON.stringify({ account: 'alice' }) });
        expect([unlock.status, await unlock.json()]).toEqual([403, turnedOff]);
      }
    } finally {
      await unguarded.stop();
    }
  }, 40_000);

  it('never puts a password in a response or in its output', () => {
    expect(bodies.length, 'too few responses for this check to mean anything (an earlier test stopped early?)').toBeGreaterThan(50);
    for (const password of passwordsSent) {
      if (password === '') continue;
      for (const body of bodies) expect(body).not.toContain(password);
      expect(example?.output()).not.toContain(password);
    }
  });
});
