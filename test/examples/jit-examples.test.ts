import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScript } from '../harness/process.js';

// The jit-* examples as a user runs them: the servers are started and called over real HTTP, the serverless
// ones are run and their printed answer read.
const rightPassword = 'Wonderland-2024';
const wrongPassword = 'Not-Wonderland-77';
const demoUser = { needToMigrate: 'local', email: 'alice@example.org', displayName: 'Alice Liddell', givenName: 'Alice', surname: 'Liddell' };
const wrongPasswordAnswer = { version: '1.0.0', status: 409, userMessage: expect.any(String) as unknown };

interface RunningServer {
  url: string;
  apiKey: string;
  /** The operator log (stderr): stdout prints the demo password on purpose, in the calls to try. */
  log: () => string;
  /** SIGTERM, and how the example ended: a clean stop exits by itself, with code 0. */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a server example without JIT_API_KEY: it prints its URL first, then the key it made. */
async function start(file: string): Promise<RunningServer> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  delete env.JIT_API_KEY;
  const started = await startScript([file], {
    env,
    what: file,
    ready: (stdout) => {
      const match = /^(http:\/\/127\.0\.0\.1:\d+)\nx-api-key: (\S+) \(made for this run/u.exec(stdout);
      return match?.[1] !== undefined && match[2] !== undefined ? { url: match[1], apiKey: match[2] } : undefined;
    },
  });
  return { ...started.ready, log: started.stderr, stop: started.stop };
}

describe.each([
  ['Express', 'examples/jit-express.ts'],
  ['Fastify', 'examples/jit-fastify.ts'],
  ['Hono', 'examples/jit-hono.ts'],
])('%s JIT example', (_name, file) => {
  let server: RunningServer | undefined;

  beforeAll(async () => {
    server = await start(file);
  }, 40_000);

  afterAll(async () => {
    await server?.stop();
  });

  /** `apiKey` null sends no key at all. */
  async function call(path: string, body: object, apiKey: string | null = server?.apiKey ?? null): Promise<{ status: number; body: unknown }> {
    if (!server) throw new Error('the example is not running');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKey !== null) headers['x-api-key'] = apiKey;
    const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/u);
    return { status: response.status, body: await response.json() };
  }

  it('answers B2C\'s sign-in: 200 with needToMigrate for alice, 409 for a wrong password', async () => {
    expect(await call('/api/b2c/signin', { signInName: 'alice', password: rightPassword })).toEqual({ status: 200, body: demoUser });
    expect(await call('/api/b2c/signin', { signInName: 'alice', password: wrongPassword })).toEqual({ status: 409, body: wrongPasswordAnswer });
  });

  it('answers the generic protocol on /api/verify', async () => {
    const answer = await call('/api/verify', { username: 'alice', password: rightPassword });
    expect(answer).toMatchObject({ status: 200, body: { status: 'valid', subjectId: 'demo-0001' } });
  });

  it('refuses a caller without the key it printed', async () => {
    expect((await call('/api/b2c/signin', { signInName: 'alice', password: rightPassword }, null)).status).toBe(401);
    expect((await call('/api/b2c/signin', { signInName: 'alice', password: rightPassword }, 'a-wrong-key-of-enough-length')).status).toBe(401);
  });

  it('logs each call with the peer address the adapter passed on, and never a password', () => {
    const log = server?.log() ?? '';
    expect(log).toMatch(/"message":"jit call","protocol":"b2c".*"clientIp":"127\.0\.0\.1"/u);
    expect(log).not.toContain(rightPassword);
    expect(log).not.toContain(wrongPassword);
  });

  it('stops on SIGTERM by itself', async () => {
    const ended = await server?.stop();
    expect(ended).toEqual({ code: 0, signal: null });
  }, 10_000);
});

/** Runs a serverless example with a chosen key: it prints the platform result as its last line. */
function runOnce(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, JIT_API_KEY: 'jit-examples-test-key-0123456789' }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

function lastLine(text: string): unknown {
  return JSON.parse(text.trim().split('\n').at(-1) ?? 'null');
}

describe('serverless JIT examples', () => {
  it('jit-azure-functions.ts prints the HttpResponseInit of a sign-in by alice', async () => {
    const run = await runOnce('examples/jit-azure-functions.ts');
    expect(run.code, run.stderr).toBe(0);
    const answer = lastLine(run.stdout) as { status: number; headers: Record<string, string>; body: string };
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/u);
    expect(JSON.parse(answer.body)).toEqual(demoUser);
    // The client address came from the X-Forwarded-For the sample request carries, port removed.
    expect(run.stderr).toMatch(/"message":"jit call".*"clientIp":"203\.0\.113\.7"/u);
    expect(run.stdout + run.stderr).not.toContain('jit-examples-test-key-0123456789');
    expect(run.stdout + run.stderr).not.toContain(rightPassword);
  }, 40_000);

  it('jit-lambda.ts prints the payload 2.0 result of a sign-in by alice', async () => {
    const run = await runOnce('examples/jit-lambda.ts');
    expect(run.code, run.stderr).toBe(0);
    const result = lastLine(run.stdout) as { statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean };
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false });
    expect(result.headers['content-type']).toMatch(/^application\/json/u);
    expect(JSON.parse(result.body)).toEqual(demoUser);
    expect(run.stderr).toMatch(/"message":"jit call".*"clientIp":"203\.0\.113\.7"/u);
    expect(run.stdout + run.stderr).not.toContain('jit-examples-test-key-0123456789');
    expect(run.stdout + run.stderr).not.toContain(rightPassword);
  }, 40_000);
});
