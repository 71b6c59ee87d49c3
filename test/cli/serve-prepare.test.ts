import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startScript, waitUntil } from '../harness/process.js';
import { createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../harness/services.js';

/**
 * `legacy-idp serve` is not ready before its store has chosen the dummy hash of unknown users (it times each hash
 * shape the table holds: seconds with slow hashes). It used to be ready as soon as a lookup answered, and the
 * first unknown user's sign-in made the choice, seconds late. The choice is held here, without timing, by an
 * advisory lock: the users "table" is a view whose hash column waits for that lock, so reading hashes (the
 * choice's sample) waits while the readiness lookup, which finds no row, does not.
 */

const gateLock = 4242;

describeWithService('postgres', "legacy-idp serve: /readyz waits for the store's dummy hash", () => {
  let database: ThrowawayDatabase;
  let dir: string;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE users_t (id integer PRIMARY KEY, username text NOT NULL, hash text NOT NULL)');
      await client.query(
        `CREATE FUNCTION gated(value text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$ BEGIN PERFORM pg_advisory_lock_shared(${gateLock}); PERFORM pg_advisory_unlock_shared(${gateLock}); RETURN value; END $$`,
      );
      await client.query('CREATE VIEW users AS SELECT id, username, gated(hash) AS hash FROM users_t');
      await client.query('INSERT INTO users_t VALUES (1, $1, $2), (2, $3, $4)', ['alice', bcrypt.hashSync('Wonderland-2024', 4), 'bob', bcrypt.hashSync('Builder-2024!', 5)]);
    } finally {
      await client.end();
    }
    dir = mkdtempSync(join(tmpdir(), 'legacy-idp-serve-prepare-'));
    writeFileSync(
      join(dir, 'legacy-idp.json'),
      JSON.stringify({
        store: { type: 'sql', dialect: 'postgres', connectionEnv: 'SERVE_PREPARE_DATABASE_URL', table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash', scheme: 'auto' } },
        serve: { port: 0, callerAuth: { apiKey: { keys: [{ label: 'test', value: 'serve-prepare-test-api-key-0123456789' }] } }, routes: [{ path: '/verify', protocol: 'generic' }] },
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /readyz 503 while the choice is held, 200 once it is made', async () => {
    const gate = new pg.Client({ connectionString: database.url });
    await gate.connect();
    await gate.query('SELECT pg_advisory_lock($1)', [gateLock]);
    const started = await startScript(['src/cli/main.ts', 'serve', '--config', join(dir, 'legacy-idp.json')], {
      env: { ...process.env, SERVE_PREPARE_DATABASE_URL: database.url },
      what: 'legacy-idp serve',
      timeoutMs: 60_000,
      ready: (stdout) => /listening on (http:\/\/127\.0\.0\.1:\d+)/u.exec(stdout)?.[1],
    });
    try {
      const held = await fetch(`${started.ready}/readyz`);
      expect({ status: held.status, body: await held.json() }).toEqual({ status: 503, body: { status: 'unavailable' } });
      await gate.query('SELECT pg_advisory_unlock($1)', [gateLock]);
      await waitUntil(async () => (await fetch(`${started.ready}/readyz`)).status === 200, { timeoutMs: 30_000, what: '/readyz', child: started.child, output: started.stderr });
    } finally {
      await gate.end();
      await started.stop();
    }
  }, 120_000);
});
