import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startScript, waitUntil } from '../harness/process.js';
import { createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../harness/services.js';

/**
 * `legacy-idp serve` stopped while a sign-in is still running. The sign-in is held, without timing, by a lock
 * on the users table in PostgreSQL: its lookup waits until the test commits. The stop gives up on it after
 * `shutdownTimeoutMs`; the server's last line (`jit server stopped`) must count it, and stay the last line of
 * the log even though the sign-in goes on after it (it used to write its `jit call` line after that one).
 */

interface LogLine {
  message?: string;
  [field: string]: unknown;
}

describeWithService('postgres', 'legacy-idp serve: a stop that gives up on a call in flight', () => {
  const apiKey = 'serve-stop-test-api-key-0123456789';
  let database: ThrowawayDatabase;
  let dir: string;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE users (id integer PRIMARY KEY, username text NOT NULL, hash text NOT NULL)');
      await client.query('INSERT INTO users VALUES (1, $1, $2)', ['alice', bcrypt.hashSync('Wonderland-2024', 4)]);
    } finally {
      await client.end();
    }
    dir = mkdtempSync(join(tmpdir(), 'legacy-idp-serve-stop-'));
    writeFileSync(
      join(dir, 'legacy-idp.json'),
      JSON.stringify({
        store: { type: 'sql', dialect: 'postgres', connectionEnv: 'SERVE_STOP_DATABASE_URL', table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash', scheme: 'auto' } },
        serve: {
          port: 0,
          shutdownTimeoutMs: 100,
          callerAuth: { apiKey: { keys: [{ label: 'test', value: apiKey }] } },
          // The held sign-in must outlast the stop, not end at its deadline first.
          routes: [{ path: '/verify', protocol: 'generic', deadlineMs: 60_000 }],
        },
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the abandoned call in its last line, and no line of that call follows it', async () => {
    const started = await startScript(['src/cli/main.ts', 'serve', '--config', join(dir, 'legacy-idp.json')], {
      env: { ...process.env, SERVE_STOP_DATABASE_URL: database.url },
      what: 'legacy-idp serve',
      timeoutMs: 60_000,
      ready: (stdout) => /listening on (http:\/\/127\.0\.0\.1:\d+)/u.exec(stdout)?.[1],
    });
    const locker = new pg.Client({ connectionString: database.url });
    // pg_stat_activity is read once per transaction: the locker's own transaction would see it frozen.
    const watcher = new pg.Client({ connectionString: database.url });
    await locker.connect();
    await watcher.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const call = fetch(`${started.ready}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ username: 'alice', password: 'Wonderland-2024' }),
      }).then(
        (response) => `answered ${response.status}`,
        () => 'connection closed',
      );
      // The sign-in's lookup is waiting for the lock: the call is in flight.
      await waitUntil(
        async () => {
          const waiting = await watcher.query<{ count: string }>("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [database.name]);
          return Number(waiting.rows[0]?.count) > 0;
        },
        { timeoutMs: 20_000, what: 'the sign-in lookup', child: started.child, output: started.stderr },
      );
      const exited = once(started.child, 'exit');
      started.child.kill('SIGTERM');
      await waitUntil(() => Promise.resolve(started.stderr().includes('jit server stopped')), { timeoutMs: 20_000, what: 'the stop', output: started.stderr });
      expect(await call).toBe('connection closed');
      // Now the held sign-in goes on: its lookup returns and its password is checked, after the server's last line.
      await locker.query('COMMIT');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      await locker.end();
      await watcher.end();
      await started.stop();
    }
    const lines = started
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
    expect(lines.at(-1)).toMatchObject({ message: 'jit server stopped', abandoned: 1 });
    expect(lines.filter((line) => line.message === 'jit call')).toEqual([]);
  }, 90_000);
});
