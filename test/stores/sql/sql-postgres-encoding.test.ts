/**
 * A PostgreSQL database in an encoding that cannot hold every login (LATIN1, WIN1251, ...): the server converts
 * the login from the client's UTF-8 when it binds it and refuses the whole statement when a character has no code
 * in the database's encoding (22P05, untranslatable_character). The store reported that as a backend failure, so
 * anyone could make it look down with a Greek login, and those attempts went uncounted by lockout. No user can
 * have such a name: it is now no match (docs/stores/sql.md, "Database encodings on PostgreSQL"). Run on the real
 * server, in throw-away databases dropped at the end.
 */
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { fixtureUsers } from '../fixture-conformance.js';
import { describeWithService, randomName, serviceUrls } from '../../harness/services.js';
import { fixtureStatements, fixtureStoreOptions } from './sql-fixture.js';

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

interface EncodedDatabase {
  url: string;
  drop: () => Promise<void>;
}

/** A throw-away database in `encoding`, made by `statements`. */
async function encodedDatabase(encoding: string, statements: readonly string[]): Promise<EncodedDatabase> {
  const name = randomName();
  // The name is random lowercase hex and the encoding a constant of this file, so quoting is enough.
  await onServer(`CREATE DATABASE "${name}" ENCODING '${encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  const url = new URL(serviceUrls().postgres);
  url.pathname = `/${name}`;
  const database = { url: url.toString(), drop: () => onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
  try {
    for (const statement of statements) await onServer(statement, name);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}

const options = (connection: string, extra: Partial<SqlStoreOptions> = {}): SqlStoreOptions => ({ dialect: 'postgres', connection, registry, ...fixtureStoreOptions, ...extra });

async function expectOutcomes(store: Awaited<ReturnType<typeof sqlUserStore>>, outcomes: Record<string, { status: string; password?: string }>): Promise<void> {
  for (const [username, { status, password = 'Not-the-password-1' }] of Object.entries(outcomes)) {
    expect((await store.verify({ username, password })).status, username).toBe(status);
    if (status === 'unknown_user') expect(await store.get(username), username).toBeNull();
    else expect(await store.get(username), username).not.toBeNull();
  }
}

const unholdable = { 'Σοφία': { status: 'unknown_user' }, '山田': { status: 'unknown_user' }, 'zoë😀': { status: 'unknown_user' }, 'σοφία@example.org': { status: 'unknown_user' } };
const holdable = {
  alice: { status: 'valid', password: fixtureUsers.valid.password },
  'ALICE@EXAMPLE.ORG': { status: 'invalid' },
  // LOWER() under this database's C ctype leaves 'Ë' alone; the stored name is already small.
  'zoë': { status: 'valid', password: fixtureUsers.unicode.password },
  'ZOË': { status: 'invalid' },
};

describeWithService('postgres', 'sql postgres: logins the database encoding cannot hold', () => {
  let latin1: EncodedDatabase | undefined;
  let win1251: EncodedDatabase | undefined;
  beforeAll(async () => {
    // The fixture users: zoë is Latin-1, the others ASCII.
    latin1 = await encodedDatabase('LATIN1', fixtureStatements('postgres'));
    // WIN1251 holds Cyrillic but neither Greek nor 'ë'.
    win1251 = await encodedDatabase('WIN1251', [
      'CREATE TABLE cyrillic_users (id INTEGER PRIMARY KEY, login VARCHAR(255) NOT NULL, hash VARCHAR(255))',
      `INSERT INTO cyrillic_users VALUES (1, 'alice', '${bcrypt.hashSync(fixtureUsers.valid.password, 4)}'), (2, 'алиса', '${bcrypt.hashSync(fixtureUsers.valid.password, 4)}')`,
    ]);
  });
  afterAll(async () => {
    await latin1?.drop();
    await win1251?.drop();
  });

  it('answers unknown_user for a Greek, CJK or emoji login in a LATIN1 database, and finds ASCII and Latin-1 names', async () => {
    // The defect, on the server itself: binding the Greek login fails the whole statement.
    const client = new pg.Client({ connectionString: (latin1 as EncodedDatabase).url });
    await client.connect();
    try {
      await expect(client.query('SELECT 1 FROM legacy_users WHERE username = $1', ['Σοφία'])).rejects.toMatchObject({ code: '22P05' });
    } finally {
      await client.end();
    }
    for (const usernameMatch of ['lower', 'exact'] as const) {
      const store = await sqlUserStore(options((latin1 as EncodedDatabase).url, { usernameMatch, ...(usernameMatch === 'exact' ? { normalization: { caseFold: 'none' } } : {}) }));
      try {
        await expectOutcomes(store, usernameMatch === 'exact' ? { ...unholdable, alice: holdable.alice, 'zoë': holdable['zoë'] } : { ...unholdable, ...holdable });
      } finally {
        await store.close();
      }
    }
  });

  it('reads the server refusal as no match in an encoding the store has no table for (WIN1251), for non-ASCII logins only', async () => {
    const store = await sqlUserStore({ dialect: 'postgres', connection: (win1251 as EncodedDatabase).url, registry, table: 'cyrillic_users', mapping: { subjectId: 'id', username: 'login', hash: 'hash' } });
    try {
      // The server decides, and its 22P05 is no match; what the database holds is still compared (the name is stored
      // small: LOWER() under this database's C ctype folds ASCII only).
      await expectOutcomes(store, { ...unholdable, 'zoë': { status: 'unknown_user' }, alice: holdable.alice, 'Алиса': { status: 'valid', password: fixtureUsers.valid.password } });
    } finally {
      await store.close();
    }
  });
});
