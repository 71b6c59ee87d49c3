/**
 * Names whose letters JavaScript folds with Unicode's full mappings while the databases and .NET fold one
 * character at a time: 'ß' upper-cases to 'SS' in JavaScript but stays 'ß' in .NET's ToUpperInvariant (what
 * ASP.NET Identity writes into NormalizedUserName) and in SQL Server's, MariaDB's and PostgreSQL's (libc) UPPER();
 * 'İ' lower-cases to 'i' + U+0307 in JavaScript but to 'i' in the databases' LOWER(). Such users were never
 * found. Run on the real servers; hashes come from test/vectors.
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/core/authenticator.js';
import { simpleCaseFold } from '../../../src/core/normalize.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { createMariadbDatabase, createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';
import { hashVector } from './sql-vectors.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

/** The DDL of a test/fixtures/sql file as statements. */
function fixtureDdl(file: string): string[] {
  return readFileSync(new URL(`../../fixtures/sql/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/u)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

async function onPostgres(url: string, statements: ReadonlyArray<string | { text: string; values: unknown[] }>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await (typeof statement === 'string' ? client.query(statement) : client.query(statement.text, statement.values));
  } finally {
    await client.end();
  }
}

/** Every sign-in must end valid, by the store itself and through an Authenticator with its default (full) fold. */
async function expectValid(options: SqlStoreOptions, logins: readonly string[], password: string): Promise<void> {
  const store = await sqlUserStore(options);
  try {
    const authenticator = createAuthenticator({ verifier: store, profiles: store });
    for (const username of logins) {
      expect((await store.verify({ username, password })).status, `${username} (store)`).toBe('valid');
      expect((await authenticator.authenticate({ username, password })).outcome.status, `${username} (authenticator)`).toBe('valid');
      expect(await store.get(username), username).not.toBeNull();
    }
    // The password still decides.
    expect((await store.verify({ username: logins[0] as string, password: `${password}-wrong` })).status).toBe('invalid');
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// ASP.NET Identity: NormalizedUserName as .NET writes it

/** AspNetUsers as the Npgsql provider's CreateIdentitySchema migration creates it. */
const identityCoreDdl = `CREATE TABLE "AspNetUsers" ("Id" text NOT NULL PRIMARY KEY, "UserName" character varying(256), "NormalizedUserName" character varying(256),
  "Email" character varying(256), "NormalizedEmail" character varying(256), "EmailConfirmed" boolean NOT NULL, "PasswordHash" text, "SecurityStamp" text,
  "ConcurrencyStamp" text, "PhoneNumber" text, "PhoneNumberConfirmed" boolean NOT NULL, "TwoFactorEnabled" boolean NOT NULL,
  "LockoutEnd" timestamp with time zone, "LockoutEnabled" boolean NOT NULL, "AccessFailedCount" integer NOT NULL)`;
/** Identity 2's table (EF6), in a schema of its own: no normalized columns, UPPER(UserName) at lookup. */
const identity2Ddl = `CREATE TABLE legacy2."AspNetUsers" ("Id" varchar(128) NOT NULL PRIMARY KEY, "Email" varchar(256), "EmailConfirmed" boolean NOT NULL, "PasswordHash" text,
  "SecurityStamp" text, "PhoneNumber" text, "PhoneNumberConfirmed" boolean NOT NULL, "TwoFactorEnabled" boolean NOT NULL, "LockoutEndDateUtc" timestamp,
  "LockoutEnabled" boolean NOT NULL, "AccessFailedCount" integer NOT NULL, "UserName" varchar(256) NOT NULL)`;

describeWithService('postgres', 'sql postgres: ASP.NET Identity names with ß and ligatures', () => {
  const identity = hashVector('aspnet_identity', 'my password');
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    const insert = (id: string, name: string, normalizedName: string, email: string, normalizedEmail: string) => ({
      text: 'INSERT INTO "AspNetUsers" VALUES ($1, $2, $3, $4, $5, true, $6, \'stamp\', \'c\', NULL, false, false, NULL, true, 0)',
      values: [id, name, normalizedName, email, normalizedEmail, identity.hash],
    });
    await onPostgres(database.url, [
      identityCoreDdl,
      // What UserManager stores: the name as typed, and Normalize().ToUpperInvariant() of it.
      insert('a1', 'Weißmann', 'WEIßMANN', 'j.weissmann@example.de', 'J.WEISSMANN@EXAMPLE.DE'),
      insert('a2', 'anna', 'ANNA', 'anna.groß@example.de', 'ANNA.GROß@EXAMPLE.DE'),
      insert('a3', 'ﬁona', 'ﬁONA', 'fiona@example.org', 'FIONA@EXAMPLE.ORG'),
      'CREATE SCHEMA legacy2',
      identity2Ddl,
      { text: 'INSERT INTO legacy2."AspNetUsers" VALUES ($1, $2, true, $3, \'stamp\', NULL, false, false, NULL, true, 0, $4)', values: ['b1', 'strauss@example.de', identity.hash, 'Straße'] },
    ]);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('finds NormalizedUserName WEIßMANN by weißmann and Weißmann, and ß / ﬁ in names and emails', async () => {
    const options: SqlStoreOptions = { dialect: 'postgres', connection: (database as ThrowawayDatabase).url, registry, preset: 'aspnet-identity' };
    await expectValid(options, ['weißmann', 'Weißmann', 'WEIßMANN'], identity.password);
    await expectValid(options, ['anna.groß@example.de', 'ANNA.GROß@example.de', 'ﬁona', 'ﬁONA'], identity.password);
    // ASCII names as before; 'ss' is not 'ß' to .NET, so no other spelling reaches the user.
    await expectValid(options, ['anna', 'J.Weissmann@example.de'], identity.password);
    const store = await sqlUserStore(options);
    try {
      expect((await store.verify({ username: 'weissmann', password: identity.password })).status).toBe('unknown_user');
      expect((await store.get('Weißmann'))?.subjectId).toBe('a1');
    } finally {
      await store.close();
    }
  });

  it("folds the login as SQL's UPPER(UserName) folds the column for schema identity2", async () => {
    await expectValid(
      { dialect: 'postgres', connection: (database as ThrowawayDatabase).url, registry, preset: { name: 'aspnet-identity', schema: 'identity2' }, table: 'legacy2.AspNetUsers' },
      ['Straße', 'straße', 'STRAßE'],
      identity.password,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Turkish dotted capital I

describeWithService('postgres', 'sql postgres: İlker (Django), under the database ctype, a C column and an ICU column', () => {
  const django = hashVector('django_pbkdf2_sha256', 'password');
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    await onPostgres(database.url, [
      ...fixtureDdl('django.postgres.sql'),
      {
        text: "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES ($1, false, 'İlker', 'İlker', 'Yılmaz', 'ilker@example.com.tr', false, true, now())",
        values: [django.hash],
      },
      // LOWER() of a COLLATE "C" column folds ASCII only; ICU's root locale folds 'İ' to 'i' + U+0307.
      'CREATE TABLE c_names (id INTEGER PRIMARY KEY, login VARCHAR(150) COLLATE "C" NOT NULL, hash VARCHAR(128) NOT NULL)',
      'CREATE TABLE icu_names (id INTEGER PRIMARY KEY, login VARCHAR(150) COLLATE "und-x-icu" NOT NULL, hash VARCHAR(128) NOT NULL)',
      { text: "INSERT INTO c_names VALUES (1, 'İlker', $1)", values: [django.hash] },
      { text: "INSERT INTO icu_names VALUES (1, 'İlker', $1)", values: [django.hash] },
    ]);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('finds İlker by İlker, İLKER and ilker', async () => {
    const url = (database as ThrowawayDatabase).url;
    await expectValid({ dialect: 'postgres', connection: url, registry, preset: 'django' }, ['İlker', 'İLKER', 'ilker', 'ILKER'], django.password);
    for (const table of ['c_names', 'icu_names']) {
      const options = { dialect: 'postgres', connection: url, registry, table, mapping: { subjectId: 'id', username: 'login', hash: 'hash' } } as const;
      await expectValid(options, ['İlker', 'İLKER', 'ilker'], django.password);
      // Upper-casing one character at a time keeps İ apart from I, as .NET's ToUpperInvariant does.
      await expectValid({ ...options, usernameMatch: 'upper' }, ['İlker', 'İLKER'], django.password);
    }
  });

  it("folds one character at a time as the server's libc does, for every letter whose full mapping differs", async () => {
    // The letters whose full case mapping has several characters (SpecialCasing.txt), and İ.
    const letters = Array.from('ßŉǰΐΰևẖẗẘẙẚὐὒὔὖᾀᾁᾂᾃᾄᾅᾆᾇᾈᾏᾐᾗᾘᾟᾠᾧᾨᾯᾲᾳᾴᾶᾷᾼῂῃῄῆῇῌῒΐῖῗῢΰῤῦῧῲῳῴῶῷῼﬀﬁﬂﬃﬄﬅﬆﬓﬔﬕﬖﬗİΣσς');
    const client = new pg.Client({ connectionString: (database as ThrowawayDatabase).url });
    await client.connect();
    try {
      const { rows } = await client.query<{ letter: string; l: string; u: string }>('SELECT letter, LOWER(letter COLLATE "C.utf8") AS l, UPPER(letter COLLATE "C.utf8") AS u FROM unnest($1::text[]) AS letter', [letters]);
      for (const row of rows) {
        expect(simpleCaseFold(row.letter, 'lower'), `lower ${row.letter}`).toBe(row.l);
        expect(simpleCaseFold(row.letter, 'upper'), `upper ${row.letter}`).toBe(row.u);
      }
      expect(rows).toHaveLength(letters.length);
    } finally {
      await client.end();
    }
  });
});

describeWithService('mariadb', 'sql mariadb: İlker (Drupal 7, utf8 table)', () => {
  const drupal = hashVector('drupal7', 'password', '$S$');
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createMariadbDatabase();
    const client = await createConnection({ uri: database.url, charset: 'utf8mb4' });
    try {
      for (const statement of fixtureDdl('drupal7.mysql.sql')) await client.query(statement);
      await client.query("INSERT INTO users (uid, name, pass, mail, status) VALUES (0, '', '', '', 0), (1, 'İlker', ?, 'ilker@example.com.tr', 1)", [drupal.hash]);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('finds İlker by İlker, İLKER and ilker', async () => {
    await expectValid({ dialect: 'mysql', connection: (database as ThrowawayDatabase).url, registry, preset: 'drupal7' }, ['İlker', 'İLKER', 'ilker'], drupal.password);
  });
});
