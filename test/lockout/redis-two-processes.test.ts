// Two processes, each with its own policy and connection, race on one account in one Redis: the reservation is
// atomic across them, so exactly the threshold of all their parallel attempts gets a password check.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { createRedisKeyPrefix, describeWithService, type RedisKeyPrefix } from '../harness/services.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'redis-race-child.ts');

interface Racer {
  process: ChildProcess;
  /** Resolves with each line the child prints. */
  nextLine(): Promise<string>;
  exited: Promise<{ code: number | null; stderr: string }>;
}

function startRacer(env: NodeJS.ProcessEnv): Racer {
  const processEnv = { ...process.env, ...env };
  delete processEnv.NODE_OPTIONS;
  const started = spawn(process.execPath, ['--import', 'tsx', child], { env: processEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffer = '';
  let stderr = '';
  started.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  started.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => started.on('close', (code) => { resolve({ code, stderr }); }));
  return {
    process: started,
    exited,
    nextLine: () => {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      return Promise.race([
        new Promise<string>((resolve) => waiting.push(resolve)),
        exited.then(({ code, stderr: errors }) => {
          throw new Error(`racer exited with ${String(code)} before answering: ${errors.slice(-2000)}`);
        }),
      ]);
    },
  };
}

describeWithService('redis', 'redis lockout store: two processes share one count', () => {
  const prefixes: RedisKeyPrefix[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await prefix.cleanup();
  });

  it('2 processes x 100 parallel attempts on one account (threshold 10): exactly 10 pass in total', async () => {
    const keyPrefix = createRedisKeyPrefix();
    prefixes.push(keyPrefix);
    const { url, prefix } = keyPrefix;
    const env = { LOCKOUT_REDIS_URL: url, LOCKOUT_KEY_PREFIX: prefix, LOCKOUT_ATTEMPTS: '100', LOCKOUT_THRESHOLD: '10' };
    const racers = [startRacer(env), startRacer(env)];
    try {
      for (const racer of racers) expect(await racer.nextLine()).toBe('ready');
      for (const racer of racers) racer.process.stdin?.end('go\n');
      const results = await Promise.all(racers.map(async (racer) => JSON.parse(await racer.nextLine()) as { allowed: number; refused: number }));
      for (const racer of racers) expect((await racer.exited).code).toBe(0);
      expect(results.reduce((sum, result) => sum + result.allowed, 0)).toBe(10);
      expect(results.reduce((sum, result) => sum + result.refused, 0)).toBe(190);
    } finally {
      for (const racer of racers) if (racer.process.exitCode === null) racer.process.kill('SIGKILL');
    }
  }, 60_000);
});
