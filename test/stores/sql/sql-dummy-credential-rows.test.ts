/**
 * The dummy hash of unknown users when the first 2,000 rows hold no password: a Keycloak realm federated with
 * LDAP (thousands of users without a credential) with a few local accounts, whose random UUID keys sort them
 * anywhere. The record core read at most 20 pages of 100 rows for a stored value and then had none, so a local
 * user's wrong password cost a PBKDF2 run (120 ms) and an unknown user nothing (0.6 ms). The SQL store now asks
 * for rows whose hash column is set. Observed through the calls to a real registry, not through timing; on
 * SQLite and the real PostgreSQL.
 */
import Database from 'better-sqlite3';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';
import { hashVector } from './sql-vectors.js';
import { recordingRegistry } from '../../harness/recording-registry.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const local = hashVector('pbkdf2_sha256', 'password');
const passwordless = 2_100;

/** Rows 1..2,100 federated (NULL hash, some empty), then two local accounts. */
function rowsOf(): Array<[number, string, string | null]> {
  const rows: Array<[number, string, string | null]> = [];
  for (let id = 1; id <= passwordless; id++) rows.push([id, `federated-${id}`, id % 7 === 0 ? '' : null]);
  rows.push([passwordless + 1, 'admin', local.hash], [passwordless + 2, 'ops', local.hash]);
  return rows;
}

// `auto`, as a Keycloak-like mix of schemes would be: no scheme to make a dummy in.
const mapping = { subjectId: 'id', username: 'username', hash: 'hash' } as const;

async function expectStoredDummy(options: SqlStoreOptions): Promise<void> {
  const recording = recordingRegistry(registry);
  const store = await sqlUserStore({ ...options, registry: recording.registry });
  try {
    await store.prepare();
    const before = recording.calls.map((call) => call.hash).length;
    await store.dummyVerify?.('unknown-users-password');
    // Before: no call (the 20 pages read held no value, and `auto` names no scheme to make one in).
    expect(recording.calls.map((call) => call.hash).slice(before)).toEqual([local.hash]);
    // A federated user (no hash) costs the same one verification.
    expect(await store.verify({ username: 'federated-5', password: 'guess' })).toMatchObject({ status: 'invalid' });
    expect(recording.calls.map((call) => call.hash).at(-1)).toBe(local.hash);
  } finally {
    await store.close();
  }
}

describe('sql store: the dummy hash past 2,000 password-less rows', () => {
  it('sqlite: is a stored value of the local accounts', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, hash TEXT)');
    const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?)');
    db.transaction(() => {
      for (const row of rowsOf()) insert.run(...row);
    })();
    try {
      await expectStoredDummy({ dialect: 'sqlite', client: db, table: 'users', mapping });
    } finally {
      db.close();
    }
  });

  it("sqlite: honours the store's where conditions (a value outside them is never the dummy)", async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, hash TEXT, realm TEXT)');
    const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?)');
    const other = { hash: bcrypt.hashSync('password', 4) };
    db.transaction(() => {
      for (const [id, name, hash] of rowsOf()) insert.run(id, name, hash, 'main');
      // Another realm's local account sorts first; it is not this store's.
      insert.run(0, 'elsewhere', other.hash, 'other');
    })();
    try {
      await expectStoredDummy({ dialect: 'sqlite', client: db, table: 'users', where: { realm: 'main' }, mapping });
    } finally {
      db.close();
    }
  });
});

describeWithService('postgres', 'sql postgres: the dummy hash past 2,000 password-less rows', () => {
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE users (id integer PRIMARY KEY, username text, hash text)');
      const rows = rowsOf();
      await client.query('INSERT INTO users SELECT * FROM unnest($1::int[], $2::text[], $3::text[])', [rows.map((row) => row[0]), rows.map((row) => row[1]), rows.map((row) => row[2])]);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('is a stored value of the local accounts', async () => {
    await expectStoredDummy({ dialect: 'postgres', connection: (database as ThrowawayDatabase).url, table: 'users', mapping });
  });
});
