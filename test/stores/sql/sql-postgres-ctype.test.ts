/**
 * PostgreSQL's LOWER()/UPPER() follow the column's collation: under a `C` or `POSIX` ctype (a database made with
 * LC_CTYPE 'C', or a column declared COLLATE "C") they fold ASCII only, so `Élodie` was never found by `élodie`.
 * The store now reads how each name column folds on the first lookup and folds under a Unicode collation when
 * it must (docs/stores/sql.md). Run on the real server, in throw-away databases dropped at the end.
 */
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/core/authenticator.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { createPostgresDatabase, describeWithService, randomName, serviceUrls } from '../../harness/services.js';
import { fixtureStatements, fixtureStoreOptions, type FixtureRow } from './sql-fixture.js';

const accented: FixtureRow[] = [
  { id: 100, username: 'Élodie', email: 'ÉLODIE.NÚÑEZ@EXEMPLE.FR', password_hash: bcrypt.hashSync('Élodie-2024-pass', 4), disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: null },
  { id: 110, username: 'ΣΟΦΙΑ', email: null, password_hash: bcrypt.hashSync('Sofia-2024-pass', 4), disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: null },
];

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

async function onServer(sql: string, database?: string): Promise<void> {
  const url = new URL(serviceUrls().postgres);
  if (database !== undefined) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A database whose ctype and collation are `C`: LOWER() of its text folds ASCII only. */
async function cDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = randomName();
  // The name is random lowercase hex, so quoting it is enough.
  await onServer(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C' LC_COLLATE 'C'`);
  const url = new URL(serviceUrls().postgres);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

const options = (connection: string, extra: Partial<SqlStoreOptions> = {}): SqlStoreOptions => ({ dialect: 'postgres', connection, registry, ...fixtureStoreOptions, ...extra });

describeWithService('postgres', 'sql postgres: case folding under a C ctype', () => {
  let database: Awaited<ReturnType<typeof cDatabase>> | undefined;
  beforeAll(async () => {
    database = await cDatabase();
    for (const statement of fixtureStatements('postgres', accented)) await onServer(statement, database.name);
    // The defect, on the server itself: this database's LOWER() leaves 'É' alone.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ ctype: string; folded: string }>("SELECT current_setting('lc_ctype') AS ctype, LOWER(username) AS folded FROM legacy_users WHERE id = 100");
      expect(rows[0]).toEqual({ ctype: 'C', folded: 'Élodie' });
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('finds Élodie and ΣΟΦΙΑ by any case of the login, by username and by email, lower and upper', async () => {
    const { url } = database as NonNullable<typeof database>;
    const store = await sqlUserStore(options(url));
    try {
      const authenticator = createAuthenticator({ verifier: store, profiles: store });
      for (const username of ['Élodie', 'élodie', 'ÉLODIE', 'élodie.núñez@exemple.fr', 'Élodie.Núñez@Exemple.fr']) {
        expect((await authenticator.authenticate({ username, password: 'Élodie-2024-pass' })).outcome, username).toMatchObject({ status: 'valid', subjectId: '100' });
      }
      expect((await authenticator.authenticate({ username: 'σοφια', password: 'Sofia-2024-pass' })).outcome).toMatchObject({ status: 'valid', subjectId: '110' });
      expect((await store.get('élodie'))?.subjectId).toBe('100');
      // ASCII names are found as before, and the password still decides.
      expect((await store.verify({ username: 'ALICE', password: 'wrong-1' })).status).toBe('invalid');
      expect((await store.verify({ username: 'élodie', password: 'Élodie-2024-wrong' })).status).toBe('invalid');
    } finally {
      await store.close();
    }
    const upper = await sqlUserStore(options(url, { usernameMatch: 'upper', normalization: { caseFold: 'upper' } }));
    try {
      expect(await upper.verify({ username: 'élodie', password: 'Élodie-2024-pass' })).toMatchObject({ status: 'valid', subjectId: '100' });
    } finally {
      await upper.close();
    }
  });

  it('folds a column declared COLLATE "C" the same way, in a database whose own ctype folds every alphabet', async () => {
    const utf8 = await createPostgresDatabase();
    try {
      await onServer('CREATE TABLE c_names (id INTEGER PRIMARY KEY, login VARCHAR(255) COLLATE "C" NOT NULL, hash VARCHAR(255))', utf8.name);
      await onServer(`INSERT INTO c_names VALUES (1, 'ÉLODIE', '${accented[0]?.password_hash ?? ''}')`, utf8.name);
      // The database's default folds 'É'; the column's own collation is what LOWER(login) follows.
      const client = new pg.Client({ connectionString: utf8.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ literal: string; column: string }>("SELECT LOWER('ÉLODIE') AS literal, LOWER(login) AS column FROM c_names");
        expect(rows[0]).toEqual({ literal: 'élodie', column: 'Élodie' });
      } finally {
        await client.end();
      }
      const store = await sqlUserStore({ dialect: 'postgres', connection: utf8.url, registry, table: 'c_names', mapping: { subjectId: 'id', username: 'login', hash: 'hash' } });
      try {
        expect(await store.verify({ username: 'Élodie', password: 'Élodie-2024-pass' })).toMatchObject({ status: 'valid', subjectId: '1' });
      } finally {
        await store.close();
      }
    } finally {
      await utf8.drop();
    }
  });

  it('refuses lookups as misconfigured, naming the column, when the server has no collation that folds every alphabet', async () => {
    const bare = await cDatabase();
    try {
      for (const statement of fixtureStatements('postgres', accented)) await onServer(statement, bare.name);
      // This database's copy of the catalog loses every collation the store could fold under.
      for (const collation of ['und-x-icu', 'pg_unicode_fast', 'pg_c_utf8', 'C.utf8', 'C.UTF-8']) {
        await onServer(`DROP COLLATION IF EXISTS pg_catalog."${collation}"`, bare.name);
      }
      const store = await sqlUserStore(options(bare.url));
      try {
        const outcome = await store.verify({ username: 'alice', password: 'whatever-1' });
        expect(outcome).toMatchObject({ status: 'unavailable', reason: 'misconfigured', error: { code: 'ERR_LEGACY_IDP_CONFIG_INVALID' } });
        expect(outcome.status === 'unavailable' && outcome.error.message).toContain('"username"');
        // Never a guess: exact matching needs no folding and still works.
        const exact = await sqlUserStore(options(bare.url, { usernameMatch: 'exact', normalization: { caseFold: 'none' } }));
        try {
          expect((await exact.verify({ username: 'Élodie', password: 'Élodie-2024-pass' })).status).toBe('valid');
        } finally {
          await exact.close();
        }
      } finally {
        await store.close();
      }
    } finally {
      await bare.drop();
    }
  });
});
