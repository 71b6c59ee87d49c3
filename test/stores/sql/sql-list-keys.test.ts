/**
 * list() over keys of every type the SQL store accepts, on the real servers: binary keys (bytea, VARBINARY,
 * BLOB) must come back from a cursor as binary, dates as dates; a subject id that repeats (a join) must stop
 * the listing with a typed error instead of skipping rows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../../src/core/contracts.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import type { SqlDialectName } from '../../../src/stores/sql/dialect.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { createMariadbDatabase, createPostgresDatabase, describeWithService } from '../../harness/services.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

interface TestDatabase {
  dialect: SqlDialectName;
  connection: string;
  /** Runs one statement with `?` placeholders (rewritten to `$n` for PostgreSQL). */
  run(sql: string, parameters?: unknown[]): Promise<void>;
  cleanup(): Promise<void>;
}

async function openPostgres(): Promise<TestDatabase> {
  const database = await createPostgresDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    dialect: 'postgres',
    connection: database.url,
    async run(sql, parameters = []) {
      let index = 0;
      await client.query(
        sql.replace(/\?/gu, () => `$${++index}`),
        parameters,
      );
    },
    async cleanup() {
      await client.end();
      await database.drop();
    },
  };
}

async function openMariadb(): Promise<TestDatabase> {
  const database = await createMariadbDatabase();
  const client = await createConnection({ uri: database.url });
  return {
    dialect: 'mysql',
    connection: database.url,
    async run(sql, parameters = []) {
      await client.query(sql, parameters);
    },
    async cleanup() {
      await client.end();
      await database.drop();
    },
  };
}

function openSqlite(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-sqlite-keys-'));
  const file = join(dir, 'users.db');
  const db = new Database(file);
  return Promise.resolve({
    dialect: 'sqlite',
    connection: file,
    run(sql, parameters = []) {
      db.prepare(sql).run(parameters);
      return Promise.resolve();
    },
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
}

const binaryType: Record<Exclude<SqlDialectName, 'mssql'>, string> = { postgres: 'BYTEA', mysql: 'VARBINARY(16)', sqlite: 'BLOB' };
const textType: Record<Exclude<SqlDialectName, 'mssql'>, string> = { postgres: 'TEXT', mysql: 'VARCHAR(100)', sqlite: 'TEXT' };

async function listAll(store: Awaited<ReturnType<typeof sqlUserStore>>, options: { batchSize: number; after?: string }): Promise<Profile[]> {
  const profiles: Profile[] = [];
  for await (const profile of store.list(options)) {
    profiles.push(profile);
    // A listing that loops would never end: stop well past the table's size.
    if (profiles.length > 1_000) break;
  }
  return profiles;
}

const options = (database: TestDatabase, overrides: Partial<SqlStoreOptions>): SqlStoreOptions => ({
  dialect: database.dialect,
  connection: database.connection,
  registry,
  mapping: { subjectId: 'id', username: 'username', hash: 'hash' },
  ...overrides,
});

function describeKeys(open: () => Promise<TestDatabase>): void {
  let database: TestDatabase | undefined;
  const ready = async (): Promise<TestDatabase> => (database ??= await open());
  afterAll(async () => {
    await database?.cleanup();
  });

  it('lists every row of a binary key once, in key order, also when resuming from a cursor string', async () => {
    const db = await ready();
    const dialect = db.dialect as keyof typeof binaryType;
    await db.run(`CREATE TABLE bkey (id ${binaryType[dialect]} PRIMARY KEY, username ${textType[dialect]}, hash ${textType[dialect]})`);
    const ids = Array.from({ length: 50 }, () => randomBytes(16));
    for (const [index, id] of ids.entries()) await db.run('INSERT INTO bkey (id, username, hash) VALUES (?, ?, NULL)', [id, `user${index}`]);
    // Every one of these databases orders binary by its bytes.
    const expected = [...ids].sort(Buffer.compare).map((id) => id.toString('base64'));
    const store = await sqlUserStore(options(db, { table: 'bkey' }));
    try {
      const all = await listAll(store, { batchSize: 7 });
      expect(all.map((profile) => profile.subjectId)).toEqual(expected);
      // A cursor is a string a bulk run writes to its checkpoint and reads back after a restart.
      const cursor = String(all[19]?.cursor);
      expect(JSON.parse(cursor)).toEqual({ $hex: ids.find((id) => id.toString('base64') === expected[19])?.toString('hex') });
      const rest = await listAll(store, { batchSize: 7, after: cursor });
      expect(rest.map((profile) => profile.subjectId)).toEqual(expected.slice(20));
      const afterLast = await listAll(store, { batchSize: 7, after: String(all[49]?.cursor) });
      expect(afterLast).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('resumes text, integer and 64-bit keys from cursors, the plain form earlier versions wrote included', async () => {
    const db = await ready();
    const dialect = db.dialect as keyof typeof binaryType;
    await db.run(`CREATE TABLE tkey (id ${textType[dialect]} PRIMARY KEY, username ${textType[dialect]}, hash ${textType[dialect]})`);
    await db.run(`CREATE TABLE nkey (id BIGINT PRIMARY KEY, username ${textType[dialect]}, hash ${textType[dialect]})`);
    // Beyond 2^53: a JavaScript number cannot hold these; the drivers give text (pg, mysql2's bigNumberStrings).
    const big = ['9007199254740993', '9007199254740994', '9007199254740995', '9007199254740996', '9007199254740997'];
    for (let index = 0; index < 5; index++) {
      await db.run('INSERT INTO tkey (id, username, hash) VALUES (?, ?, NULL)', [`k${index}`, `t${index}`]);
      if (dialect !== 'sqlite') await db.run('INSERT INTO nkey (id, username, hash) VALUES (?, ?, NULL)', [big[index], `n${index}`]);
    }
    const text = await sqlUserStore(options(db, { table: 'tkey' }));
    try {
      expect((await listAll(text, { batchSize: 2 })).map((profile) => profile.subjectId)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      expect((await listAll(text, { batchSize: 2, after: '"k1"' })).map((profile) => profile.subjectId)).toEqual(['k2', 'k3', 'k4']);
    } finally {
      await text.close();
    }
    if (dialect === 'sqlite') return;
    const numeric = await sqlUserStore(options(db, { table: 'nkey' }));
    try {
      const all = await listAll(numeric, { batchSize: 2 });
      expect(all.map((profile) => profile.subjectId)).toEqual(big);
      expect((await listAll(numeric, { batchSize: 2, after: String(all[1]?.cursor) })).map((profile) => profile.subjectId)).toEqual(big.slice(2));
    } finally {
      await numeric.close();
    }
  });

  it('stops with a typed error, naming no row, when the subject id repeats (a join), inside a page or across its end', async () => {
    const db = await ready();
    const dialect = db.dialect as keyof typeof binaryType;
    await db.run(`CREATE TABLE person (id INTEGER PRIMARY KEY, kind ${textType[dialect]})`);
    await db.run(`CREATE TABLE login (name ${textType[dialect]} PRIMARY KEY, person_id INTEGER, hash ${textType[dialect]})`);
    for (const id of [1, 2, 3]) await db.run('INSERT INTO person (id, kind) VALUES (?, ?)', [id, 'staff']);
    // Person 1 and 2 have five logins each; person 3 has one.
    for (let index = 0; index < 10; index++) await db.run('INSERT INTO login (name, person_id, hash) VALUES (?, ?, NULL)', [`secret-login-${index}`, index < 5 ? 1 : 2]);
    await db.run('INSERT INTO login (name, person_id, hash) VALUES (?, ?, NULL)', ['secret-login-10', 3]);
    const query = 'SELECT p.id AS id, l.name AS username, l.hash AS hash FROM person p JOIN login l ON l.person_id = p.id';
    const joined = await sqlUserStore(options(db, { query }));
    try {
      for (const batchSize of [3, 5, 100]) {
        const error = await listAll(joined, { batchSize }).catch((caught: unknown) => caught);
        expect(error, `batchSize ${batchSize}`).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'mapping.subjectId' });
        expect((error as Error).message).toMatch(/subject id column "id" is not unique/u);
        expect((error as Error).message).not.toMatch(/secret-login/u);
      }
    } finally {
      await joined.close();
    }
    // Repeats only across a page's end: ids 2, 3, 3 with pages of two. The first page holds no repeat; the
    // next would start after 3 and lose the second row of person 3.
    await db.run('INSERT INTO login (name, person_id, hash) VALUES (?, ?, NULL)', ['secret-login-11', 3]);
    const boundary = await sqlUserStore(options(db, { query: `${query} WHERE p.id > 1 AND l.name IN ('secret-login-5', 'secret-login-10', 'secret-login-11')` }));
    try {
      await expect(listAll(boundary, { batchSize: 2 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    } finally {
      await boundary.close();
    }
    // The same join over unique keys lists as before.
    const unique = await sqlUserStore(options(db, { query: `${query} WHERE l.name IN ('secret-login-0', 'secret-login-5', 'secret-login-10')` }));
    try {
      expect((await listAll(unique, { batchSize: 1 })).map((profile) => profile.subjectId)).toEqual(['1', '2', '3']);
    } finally {
      await unique.close();
    }
  });
}

describe('sql sqlite: list() keys', () => {
  describeKeys(openSqlite);
});
describeWithService('postgres', 'sql postgres: list() keys', () => {
  describeKeys(openPostgres);

  it('resumes date keys (timestamp and timestamptz) as dates', async () => {
    const db = await openPostgres();
    try {
      for (const type of ['TIMESTAMP', 'TIMESTAMPTZ']) {
        const table = `d_${type.toLowerCase()}`;
        await db.run(`CREATE TABLE ${table} (id ${type} PRIMARY KEY, username TEXT, hash TEXT)`);
        for (let index = 0; index < 5; index++) await db.run(`INSERT INTO ${table} VALUES (?, ?, NULL)`, [`2024-01-01 10:00:0${index}.${index}00`, `d${index}`]);
        const store = await sqlUserStore(options(db, { table }));
        try {
          const all = await listAll(store, { batchSize: 2 });
          expect(all.map((profile) => profile.username), type).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
          expect(JSON.parse(String(all[1]?.cursor))).toHaveProperty('$date');
          expect((await listAll(store, { batchSize: 2, after: String(all[1]?.cursor) })).map((profile) => profile.username), type).toEqual(['d2', 'd3', 'd4']);
        } finally {
          await store.close();
        }
      }
    } finally {
      await db.cleanup();
    }
  });
});
describeWithService('mariadb', 'sql mariadb: list() keys', () => {
  describeKeys(openMariadb);
});

describe('sql sqlite: list() with 64-bit keys through a client that reads integers as bigint', () => {
  it('resumes after a key beyond 2^53', async () => {
    const db = new Database(':memory:');
    db.defaultSafeIntegers(true);
    db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, username TEXT, hash TEXT)');
    for (let index = 0n; index < 5n; index++) db.prepare('INSERT INTO big VALUES (?, ?, NULL)').run(9007199254740993n + index, `b${index}`);
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry, table: 'big', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      const all = await listAll(store, { batchSize: 2 });
      expect(all.map((profile) => profile.subjectId)).toEqual(['9007199254740993', '9007199254740994', '9007199254740995', '9007199254740996', '9007199254740997']);
      expect((await listAll(store, { batchSize: 2, after: String(all[2]?.cursor) })).map((profile) => profile.username)).toEqual(['b3', 'b4']);
    } finally {
      await store.close();
      db.close();
    }
  });
});
