import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import bcrypt from 'bcryptjs';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../../src/core/authenticator.js';
import { LegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { injectionUsernames } from '../../../src/testing/conformance.js';
import type { SqlDialectName } from '../../../src/stores/sql/dialect.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { createMariadbDatabase, createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';
import { startTdsServer } from '../../harness/tds-server.js';
import { describeStoreConformance, fixtureUsers } from '../fixture-conformance.js';
import { fixtureStatements, fixtureStoreOptions, type FixtureRow } from './sql-fixture.js';

/** Rows the behaviour tests add: a locked user, two users sharing an email, a user without a password. */
const extraRows: FixtureRow[] = [
  { id: 50, username: 'lena', email: 'shared@example.org', password_hash: null, disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: null },
  { id: 60, username: 'mia', email: 'shared@example.org', password_hash: null, disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: null },
  { id: 70, username: 'Alice', email: null, password_hash: null, disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: null },
  { id: 80, username: 'kim', email: null, password_hash: bcrypt.hashSync('Kim-2024-pass', 4), disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: '2999-01-01 00:00:00' },
  { id: 90, username: 'ned', email: null, password_hash: bcrypt.hashSync('Ned-2024-pass', 4), disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: '2001-01-01 00:00:00' },
];

interface DialectSetup {
  dialect: SqlDialectName;
  /** Builds the fixture database; returns the connection option and a cleanup. */
  prepare(extra: readonly FixtureRow[]): Promise<{ connection: string; count: () => Promise<number>; cleanup: () => Promise<void> }>;
  /** A connection option to a server that is not there (none for SQLite: a closed store stands in). */
  down?: string;
}

const sqliteSetup: DialectSetup = {
  dialect: 'sqlite',
  prepare(extra) {
    const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-sqlite-'));
    const file = join(dir, 'users.db');
    const db = new Database(file);
    for (const statement of fixtureStatements('sqlite', extra)) db.exec(statement);
    db.close();
    return Promise.resolve({
      connection: file,
      count: () => {
        const check = new Database(file, { readonly: true });
        try {
          return Promise.resolve((check.prepare('SELECT COUNT(*) AS n FROM legacy_users').get() as { n: number }).n);
        } finally {
          check.close();
        }
      },
      cleanup: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
};

const postgresSetup: DialectSetup = {
  dialect: 'postgres',
  async prepare(extra) {
    const database: ThrowawayDatabase = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    for (const statement of fixtureStatements('postgres', extra)) await client.query(statement);
    return {
      connection: database.url,
      count: async () => Number((await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM legacy_users')).rows[0]?.n),
      cleanup: async () => {
        await client.end();
        await database.drop();
      },
    };
  },
  down: 'postgres://postgres@127.0.0.1:1/none',
};

const mariadbSetup: DialectSetup = {
  dialect: 'mysql',
  async prepare(extra) {
    const database: ThrowawayDatabase = await createMariadbDatabase();
    const client = await createConnection({ uri: database.url });
    for (const statement of fixtureStatements('mysql', extra)) await client.query(statement);
    return {
      connection: database.url,
      count: async () => Number(((await client.query('SELECT COUNT(*) AS n FROM legacy_users'))[0] as Array<{ n: number }>)[0]?.n),
      cleanup: async () => {
        await client.end();
        await database.drop();
      },
    };
  },
  down: 'mysql://root@127.0.0.1:1/none',
};

/**
 * SQL Server through the real mssql/tedious driver against the in-repo TDS 7.4 server, which runs the
 * statements on SQLite (no SQL Server can run here; docs/stores/sql.md says what that leaves untested).
 */
const mssqlSetup: DialectSetup = {
  dialect: 'mssql',
  async prepare(extra) {
    const database = new Database(':memory:');
    for (const statement of fixtureStatements('sqlite', extra)) database.exec(statement);
    const server = await startTdsServer({ database });
    const { mssqlConfig: c } = server;
    return {
      connection: `Server=${c.server},${c.port};Database=${c.database};User Id=${c.user};Password=${c.password};Encrypt=false;TrustServerCertificate=true`,
      count: () => Promise.resolve((database.prepare('SELECT COUNT(*) AS n FROM legacy_users').get() as { n: number }).n),
      cleanup: async () => {
        await server.close();
        database.close();
      },
    };
  },
  down: 'Server=127.0.0.1,1;Database=none;User Id=sa;Password=none-such-1;Encrypt=false;TrustServerCertificate=true',
};

/**
 * Opt-in: a real SQL Server from LEGACY_IDP_TEST_MSSQL_URL (an mssql connection string to a database where the
 * test may create and drop the table `legacy_users`).
 */
const realMssql = process.env['LEGACY_IDP_TEST_MSSQL_URL'];
const realMssqlSetup: DialectSetup = {
  dialect: 'mssql',
  async prepare(extra) {
    const mssql = (await import('mssql')).default;
    const pool = await new mssql.ConnectionPool(realMssql as string).connect();
    await pool.request().batch('DROP TABLE IF EXISTS legacy_users');
    for (const statement of fixtureStatements('mssql', extra)) await pool.request().batch(statement);
    return {
      connection: realMssql as string,
      count: async () => Number((await pool.request().query<{ n: number }>('SELECT COUNT(*) AS n FROM legacy_users')).recordset[0]?.n),
      cleanup: async () => {
        await pool.request().batch('DROP TABLE IF EXISTS legacy_users');
        await pool.close();
      },
    };
  },
};

function describeDialect(setup: DialectSetup): void {
  // One registry for the file: worker start-up is not what these tests measure.
  const registry = createHashRegistry({ workers: false });
  let fixture: Awaited<ReturnType<DialectSetup['prepare']>> | undefined;
  let extended: Awaited<ReturnType<DialectSetup['prepare']>> | undefined;
  const ready = (value: typeof fixture): NonNullable<typeof fixture> => {
    if (!value) throw new Error('fixture database not prepared');
    return value;
  };
  beforeAll(async () => {
    fixture = await setup.prepare([]);
    extended = await setup.prepare(extraRows);
  });
  afterAll(async () => {
    await fixture?.cleanup();
    await extended?.cleanup();
    await registry.close();
  });
  const options = (connection: string, overrides: Partial<SqlStoreOptions> = {}): SqlStoreOptions => ({
    dialect: setup.dialect,
    connection,
    registry,
    connectTimeoutMs: 2_000,
    queryTimeoutMs: 5_000,
    ...fixtureStoreOptions,
    ...overrides,
  });

  const down = setup.down;
  describeStoreConformance(`sql ${setup.dialect}`, () => sqlUserStore(options(ready(fixture).connection)), down === undefined ? {} : { createUnavailable: () => sqlUserStore(options(down)) });

  describe(`sql ${setup.dialect}: behaviour`, () => {
    it('signs in with one query: the Authenticator takes the profile the password check read', async () => {
      const store = await sqlUserStore(options(ready(fixture).connection));
      try {
        const separately = await store.get(fixtureUsers.valid.username);
        const get = vi.spyOn(store, 'get');
        const result = await createAuthenticator({ verifier: store, profiles: store }).authenticate(fixtureUsers.valid);
        expect(result.outcome.status).toBe('valid');
        expect(result.profile).toEqual(separately);
        expect(get).not.toHaveBeenCalled();
      } finally {
        await store.close();
      }
    });

    it('answers locked only after the right password, from a lock time in the future', async () => {
      const store = await sqlUserStore(options(ready(extended).connection));
      try {
        expect((await store.verify({ username: 'kim', password: 'Kim-2024-wrong' })).status).toBe('invalid');
        expect(await store.verify({ username: 'kim', password: 'Kim-2024-pass' })).toMatchObject({ status: 'locked', by: 'legacy_store' });
        // A lock that ended is no lock.
        expect(await store.verify({ username: 'ned', password: 'Ned-2024-pass' })).toMatchObject({ status: 'valid', subjectId: '90' });
        // A row without a password never verifies.
        expect(await store.verify({ username: 'lena', password: 'anything-1' })).toMatchObject({ status: 'invalid', detail: 'no stored password' });
      } finally {
        await store.close();
      }
    });

    it('finds nobody when a case-insensitive login matches two users, or an email two users share', async () => {
      const store = await sqlUserStore(options(ready(extended).connection));
      try {
        const outcome = await store.verify(fixtureUsers.valid);
        expect(outcome.status).toBe('unknown_user');
        expect(outcome.status === 'unknown_user' && outcome.detail).toContain('2 users');
        expect((await store.verify({ username: 'shared@example.org', password: 'whatever-1' })).status).toBe('unknown_user');
        expect(await store.get('shared@example.org')).toBeNull();
        expect((await store.get('lena'))?.subjectId).toBe('50');
      } finally {
        await store.close();
      }
    });

    it('finds a user whose name and email hold non-ASCII capitals, whatever case the login is typed in', async () => {
      const accented = await setup.prepare([
        { id: 100, username: 'Élodie', email: 'ÉLODIE.NÚÑEZ@EXEMPLE.FR', password_hash: bcrypt.hashSync('Élodie-2024-pass', 4), disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: null },
        { id: 110, username: 'ΣΟΦΙΑ', email: null, password_hash: bcrypt.hashSync('Sofia-2024-pass', 4), disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: null },
      ]);
      const store = await sqlUserStore(options(accented.connection));
      try {
        const authenticator = createAuthenticator({ verifier: store, profiles: store });
        for (const username of ['Élodie', 'élodie', 'ÉLODIE', 'élodie.núñez@exemple.fr', 'Élodie.Núñez@Exemple.fr']) {
          expect((await authenticator.authenticate({ username, password: 'Élodie-2024-pass' })).outcome, username).toMatchObject({ status: 'valid', subjectId: '100' });
        }
        expect((await authenticator.authenticate({ username: 'σοφια', password: 'Sofia-2024-pass' })).outcome).toMatchObject({ status: 'valid', subjectId: '110' });
        expect((await store.get('élodie'))?.subjectId).toBe('100');
        // Folding finds the row; the password still decides.
        expect((await store.verify({ username: 'élodie', password: 'Élodie-2024-wrong' })).status).toBe('invalid');
        // The upper-case comparison folds the same way.
        const upper = await sqlUserStore(options(accented.connection, { usernameMatch: 'upper', normalization: { caseFold: 'upper' } }));
        try {
          expect(await upper.verify({ username: 'ÉLODIE', password: 'Élodie-2024-pass' })).toMatchObject({ status: 'valid', subjectId: '100' });
        } finally {
          await upper.close();
        }
      } finally {
        await store.close();
        await accented.cleanup();
      }
    });

    it('survives the injection corpus with the table intact and no match', async () => {
      const store = await sqlUserStore(options(ready(fixture).connection));
      try {
        const before = await ready(fixture).count();
        for (const username of injectionUsernames('alice')) {
          const outcome = await store.verify({ username, password: fixtureUsers.valid.password });
          expect(outcome.status, username).toBe('unknown_user');
          expect(await store.get(username), username).toBeNull();
        }
        expect(await ready(fixture).count()).toBe(before);
      } finally {
        await store.close();
      }
    });

    it('lists every user in key order, in batches, and resumes after a cursor', async () => {
      const store = await sqlUserStore(options(ready(extended).connection));
      try {
        const all = [];
        for await (const profile of store.list({ batchSize: 2 })) all.push(profile);
        expect(all.map((profile) => profile.subjectId)).toEqual(['10', '20', '30', '40', '50', '60', '70', '80', '90']);
        // The count a bulk run shows its progress and ETA against.
        expect(await store.count?.()).toBe(9);
        expect(all[0]?.credential?.scheme).toBe('auto');
        expect(all[3]?.enabled).toBe(false);
        const rest = [];
        for await (const profile of store.list({ batchSize: 3, after: all[2]?.cursor as string })) rest.push(profile.subjectId);
        expect(rest).toEqual(['40', '50', '60', '70', '80', '90']);
        await expect(async () => {
          for await (const _ of store.list({ after: '{"not":"a key"}' })) break;
        }).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
      } finally {
        await store.close();
      }
    });

    it('writes back a confirmed migration in one UPDATE, never without the new object id', async () => {
      const store = await sqlUserStore(options(ready(extended).connection));
      try {
        expect(store.markMigrated).toBeTypeOf('function');
        await expect(store.markMigrated?.('20', { objectId: '' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
        expect(await store.markMigrated?.('20', { objectId: '7a5e2c1d-0000-4000-8000-000000000020' })).toBe(true);
        expect(await store.markMigrated?.('99999', { objectId: 'x' })).toBe(false);
        const reader = await sqlUserStore(
          options(ready(extended).connection, { mapping: { ...fixtureStoreOptions.mapping, attributes: { objectId: 'new_object_id', migratedAt: 'migrated_at' } } }),
        );
        try {
          const bob = await reader.get('bob');
          expect(bob?.attributes['objectId']).toBe('7a5e2c1d-0000-4000-8000-000000000020');
          expect(String(bob?.attributes['migratedAt'])).toMatch(/^\d{4}-\d\d-\d\d/u);
          expect((await reader.get('alice@example.org'))?.attributes['objectId']).toBeUndefined();
        } finally {
          await reader.close();
        }
      } finally {
        await store.close();
      }
    });

    it('reports a missing column as unavailable/misconfigured, never as a wrong password', async () => {
      const store = await sqlUserStore(options(ready(fixture).connection, { mapping: { ...fixtureStoreOptions.mapping, hash: 'no_such_column' } }));
      try {
        const outcome = await store.verify(fixtureUsers.valid);
        expect(outcome.status).toBe('unavailable');
        expect(outcome.status === 'unavailable' && outcome.reason).toBe('misconfigured');
        expect(outcome.status === 'unavailable' && outcome.error.code).toBe('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE');
      } finally {
        await store.close();
      }
    });
  });
}

describe('sql sqlite', () => { describeDialect(sqliteSetup); });
describe('sql mssql (TDS test server)', () => {
  describeDialect(mssqlSetup);
});
describeWithService('postgres', 'sql postgres', () => { describeDialect(postgresSetup); });
describeWithService('mariadb', 'sql mariadb', () => { describeDialect(mariadbSetup); });

if (realMssql !== undefined) {
  describe('sql mssql against the real server of LEGACY_IDP_TEST_MSSQL_URL', () => {
    describeDialect(realMssqlSetup);
  });
}

describe('sql mssql: driver paths through the TDS test server', () => {
  const mssqlOptions = (connection: string): SqlStoreOptions => ({ dialect: 'mssql', connection, connectTimeoutMs: 1_500, queryTimeoutMs: 800, ...fixtureStoreOptions });
  const serve = async () => {
    const database = new Database(':memory:');
    for (const statement of fixtureStatements('sqlite')) database.exec(statement);
    const server = await startTdsServer({ database, password: 'Right-Pass-1' });
    const { mssqlConfig: c } = server;
    const connection = (password: string): string =>
      `Server=${c.server},${c.port};Database=${c.database};User Id=${c.user};Password=${password};Encrypt=false;TrustServerCertificate=true`;
    return { server, database, connection };
  };

  it('binds the login as an sp_executesql parameter, never as SQL text', async () => {
    const { server, database, connection } = await serve();
    const store = await sqlUserStore(mssqlOptions(connection('Right-Pass-1')));
    try {
      const probe = "alice' or '1'='1"; // already normalized (lower case), as the store binds it
      expect((await store.verify({ username: probe, password: fixtureUsers.valid.password })).status).toBe('unknown_user');
      const lookup = server.queries.find((query) => Object.values(query.parameters).includes(probe));
      expect(lookup?.sql).toMatch(/LOWER\(\[username\]\) = @P1/u);
      expect(lookup?.sql).not.toContain(probe);
      expect(server.queries.some((query) => query.sql.includes(probe))).toBe(false);
    } finally {
      await store.close();
      await server.close();
      database.close();
    }
  });

  it('answers unavailable for a refused service login (18456), a silent server and a stopped one, and recovers', async () => {
    const { server, database, connection } = await serve();
    const refused = await sqlUserStore(mssqlOptions(connection('Wrong-Pass-1')));
    const store = await sqlUserStore(mssqlOptions(connection('Right-Pass-1')));
    try {
      const login = await refused.verify(fixtureUsers.valid);
      expect(login).toMatchObject({ status: 'unavailable', reason: 'backend_error' });
      expect(JSON.stringify(login)).not.toContain('Wrong-Pass-1');
      expect((await store.verify(fixtureUsers.valid)).status).toBe('valid');
      server.setSilent(true);
      expect(await store.verify(fixtureUsers.valid)).toMatchObject({ status: 'unavailable', reason: 'backend_error' });
      server.setSilent(false);
      await server.close();
      expect((await store.verify(fixtureUsers.valid)).status).toBe('unavailable');
      await server.restart();
      let status = 'unavailable';
      for (let i = 0; i < 20 && status !== 'valid'; i++) {
        status = (await store.verify(fixtureUsers.valid)).status;
        if (status !== 'valid') await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(status).toBe('valid');
    } finally {
      await refused.close();
      await store.close();
      await server.close();
      database.close();
    }
  });
});

describe('sql store options', () => {
  it.each([
    ['a table name with a statement', { table: 'users; DROP TABLE users' }],
    ['a quoted column', { mapping: { ...fixtureStoreOptions.mapping, username: 'user"name' } }],
    ['a query with two statements', { table: undefined, query: 'SELECT * FROM legacy_users; DELETE FROM legacy_users' }],
    ['an UPDATE as query', { table: undefined, query: 'UPDATE legacy_users SET disabled = 0' }],
    ['matchEmail without an email column', { mapping: { subjectId: 'id', username: 'username', hash: 'password_hash' }, matchEmail: true }],
  ])('refuses %s with a typed error', async (_label, overrides) => {
    const error = await sqlUserStore({
      dialect: 'sqlite',
      connection: ':memory:',
      ...fixtureStoreOptions,
      ...(overrides as Partial<SqlStoreOptions>),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LegacyIdpError);
    expect((error as LegacyIdpError).code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
  });

  it('refuses a database file that does not exist instead of creating an empty one', async () => {
    await expect(sqlUserStore({ dialect: 'sqlite', connection: '/nonexistent/dir/users.db', ...fixtureStoreOptions })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_BACKEND_UNAVAILABLE',
    });
  });
});
