/**
 * The built-in SQL presets against each product's own schema (test/fixtures/sql/<preset>.<dialect>.sql, on
 * the database the product usually runs on where it runs here), seeded with real hashes of that product's
 * format from test/vectors/<scheme>.jsonl (each row names the vector's source).
 */
import bcrypt from 'bcryptjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../../src/core/contracts.js';
import { LegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import type { SqlDialectName } from '../../../src/stores/sql/dialect.js';
import { sqlPresetNames } from '../../../src/stores/sql/presets.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { startTdsServer } from '../../harness/tds-server.js';
import type { RecordUserStore } from '../../../src/stores/record/record-store.js';
import { createMariadbDatabase, createPostgresDatabase, describeWithService } from '../../harness/services.js';

// ---------------------------------------------------------------------------------------------------------
// Vectors and fixtures

interface Vector {
  password: string;
  hash: string;
  context?: Record<string, unknown>;
  source: string;
}

const vectorFiles = new Map<string, Array<Vector & { expected?: boolean; expect?: boolean }>>();

/** The first positive vector of `scheme` whose hash starts with `prefix` and whose password is `password`. */
function vector(scheme: string, password: string, prefix = ''): Vector {
  let lines = vectorFiles.get(scheme);
  if (!lines) {
    const text = readFileSync(new URL(`../../vectors/${scheme}.jsonl`, import.meta.url), 'utf8');
    lines = text
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as Vector & { expected?: boolean; expect?: boolean });
    vectorFiles.set(scheme, lines);
  }
  const found = lines.find((line) => (line.expected ?? line.expect) === true && line.password === password && line.hash.startsWith(prefix));
  if (!found) throw new Error(`no positive ${scheme} vector for ${JSON.stringify(password)} starting with ${prefix}`);
  return found;
}

/** The DDL of a fixture file as statements (comment lines dropped; statements end with `;` at a line end). */
function ddl(file: string): string[] {
  const text = readFileSync(new URL(`../../fixtures/sql/${file}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/u)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

type Seed = Record<string, Array<Record<string, unknown>>>;

interface FixtureDatabase {
  dialect: SqlDialectName;
  connection: string;
  drop(): Promise<void>;
}

function insertStatement(table: string, row: Record<string, unknown>, placeholder: (index: number) => string): { sql: string; values: unknown[] } {
  const columns = Object.keys(row);
  return { sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, index) => placeholder(index + 1)).join(', ')})`, values: Object.values(row) };
}

function sqliteDatabase(file: string, seed: Seed): FixtureDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-presets-'));
  const path = join(dir, 'fixture.db');
  const db = new Database(path);
  try {
    for (const statement of ddl(file)) db.exec(statement);
    for (const [table, rows] of Object.entries(seed)) {
      for (const row of rows) {
        const { sql, values } = insertStatement(table, row, () => '?');
        db.prepare(sql).run(values.map((value) => (typeof value === 'boolean' ? Number(value) : value)));
      }
    }
  } finally {
    db.close();
  }
  return {
    dialect: 'sqlite',
    connection: path,
    drop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function postgresDatabase(file: string, seed: Seed): Promise<FixtureDatabase> {
  const database = await createPostgresDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    for (const statement of ddl(file)) await client.query(statement);
    for (const [table, rows] of Object.entries(seed)) {
      for (const row of rows) {
        const { sql, values } = insertStatement(table, row, (index) => `$${index}`);
        await client.query(sql, values);
      }
    }
  } finally {
    await client.end();
  }
  return { dialect: 'postgres', connection: database.url, drop: () => database.drop() };
}

async function mariadbDatabase(file: string, seed: Seed): Promise<FixtureDatabase> {
  const database = await createMariadbDatabase();
  const client = await createConnection({ uri: database.url, charset: 'utf8mb4' });
  try {
    for (const statement of ddl(file)) await client.query(statement);
    for (const [table, rows] of Object.entries(seed)) {
      for (const row of rows) {
        const { sql, values } = insertStatement(table, row, () => '?');
        // Client-side escaping through the driver's own formatter: seed data, not the code under test.
        await client.query(sql, values);
      }
    }
  } finally {
    await client.end();
  }
  return { dialect: 'mysql', connection: database.url, drop: () => database.drop() };
}

/**
 * The same SQLite fixture served through the in-repo TDS test server, so the ASP.NET presets also run
 * through the mssql dialect and the real mssql/tedious driver (SQL Server itself cannot run here).
 */
async function viaTds(fixtureDatabase: FixtureDatabase): Promise<FixtureDatabase> {
  const database = new Database(fixtureDatabase.connection);
  const server = await startTdsServer({ database });
  const c = server.mssqlConfig;
  return {
    dialect: 'mssql',
    connection: `Server=${c.server},${c.port};Database=${c.database};User Id=${c.user};Password=${c.password};Encrypt=false;TrustServerCertificate=true`,
    drop: async () => {
      await server.close();
      database.close();
      await fixtureDatabase.drop();
    },
  };
}

/** SQL Server schemas run on SQLite directly and through the mssql dialect. */
const sqlServerTransports = [
  {
    label: 'SQL Server schema on SQLite',
    open: (database: FixtureDatabase): FixtureDatabase | Promise<FixtureDatabase> => database,
    // SQLite hands back what was stored: text dates, 0/1.
    datetime: (text: string): unknown => text,
    bit: (value: number): unknown => value,
  },
  {
    label: 'mssql dialect through the TDS test server',
    open: viaTds,
    // SQL Server's DATETIME and BIT arrive through tedious as Date (mapped to ISO text) and boolean.
    datetime: (text: string): unknown => `${text.replace(' ', 'T')}.000Z`,
    bit: (value: number): unknown => value === 1,
  },
];

// One registry for the file: worker start-up is not what these tests measure.
const registry = createHashRegistry({ workers: false });
afterAll(async () => {
  await registry.close();
});

/** Opens a store over a fixture, runs `use`, closes the store. */
async function withStore<T>(database: FixtureDatabase | undefined, preset: SqlStoreOptions['preset'], use: (store: RecordUserStore) => Promise<T>, extra: Partial<SqlStoreOptions> = {}): Promise<T> {
  if (!database) throw new Error('fixture database not prepared');
  const store = await sqlUserStore({ dialect: database.dialect, connection: database.connection, registry, connectTimeoutMs: 2_000, queryTimeoutMs: 5_000, preset, ...extra });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

async function listAll(store: RecordUserStore): Promise<Profile[]> {
  const all: Profile[] = [];
  for await (const profile of store.list({ batchSize: 2 })) all.push(profile);
  return all;
}

/** A fixture database made once for a describe block and dropped after it. */
function fixture(make: () => FixtureDatabase | Promise<FixtureDatabase>): () => FixtureDatabase | undefined {
  let database: FixtureDatabase | undefined;
  beforeAll(async () => {
    database = await make();
  });
  afterAll(async () => {
    await database?.drop();
  });
  return () => database;
}

// ---------------------------------------------------------------------------------------------------------

describe('sql presets: table', () => {
  it('lists every built-in preset', () => {
    expect(sqlPresetNames()).toEqual(expect.arrayContaining(['aspnet-membership', 'aspnet-identity', 'wordpress', 'django', 'drupal7', 'keycloak', 'laravel', 'devise']));
  });

  it.each([
    ['a table prefix that would end the identifier', { name: 'wordpress', tablePrefix: 'wp_users; DROP TABLE x; --' }],
    ['a Drupal prefix with a quote', { name: 'drupal7', tablePrefix: "d7'" }],
    ['Keycloak without a realm', 'keycloak'],
    ['Keycloak with both realm id and name', { name: 'keycloak', realm: 'master', realmName: 'master' }],
    ['an unknown option', { name: 'django', tabel: 'auth_user' }],
    ['a Membership hash algorithm the registry has no scheme for', { name: 'aspnet-membership', hashAlgorithm: 'HMACSHA256' }],
  ])('refuses %s with a typed error', async (_label, preset) => {
    const error = await sqlUserStore({ dialect: 'sqlite', connection: ':memory:', registry, preset }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LegacyIdpError);
    expect((error as LegacyIdpError).code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
  });

});

// ---------------------------------------------------------------------------------------------------------
// ASP.NET Membership (SQL Server schema on SQLite)

describe.each(sqlServerTransports)('preset aspnet-membership ($label)', ({ open, datetime }) => {
  const rootApp = '8D3D4E5A-0F1B-4C2D-9E3F-0A1B2C3D4E5F';
  const shopApp = '1F2E3D4C-5B6A-4978-8695-A4B3C2D1E0F9';
  const sha1Alice = vector('aspnet_membership_sha1', 'password');
  const sha1Bob = vector('aspnet_membership_sha1', 'correct horse battery staple');
  const sha1Carol = vector('aspnet_membership_sha1', 'Tr0ub4dor&3');
  const sha256Alice = vector('aspnet_membership_sha256', 'password');
  const ids = {
    alice: '0A6B3C8D-1E2F-4A5B-8C9D-0E1F2A3B4C01',
    bob: '0A6B3C8D-1E2F-4A5B-8C9D-0E1F2A3B4C02',
    carol: '0A6B3C8D-1E2F-4A5B-8C9D-0E1F2A3B4C03',
    dave: '0A6B3C8D-1E2F-4A5B-8C9D-0E1F2A3B4C04',
    erin: '0A6B3C8D-1E2F-4A5B-8C9D-0E1F2A3B4C05',
    anonymous: '0A6B3C8D-1E2F-4A5B-8C9D-0E1F2A3B4C06',
    shopAlice: 'F0000000-1E2F-4A5B-8C9D-0E1F2A3B4C01',
  };
  const user = (applicationId: string, userId: string, userName: string, isAnonymous = 0): Record<string, unknown> => ({
    ApplicationId: applicationId,
    UserId: userId,
    UserName: userName,
    LoweredUserName: userName.toLowerCase(),
    IsAnonymous: isAnonymous,
    LastActivityDate: '2012-03-04 05:06:07',
  });
  const membership = (
    applicationId: string,
    userId: string,
    email: string,
    password: { hash: string; salt: string; format: number },
    flags: { approved?: number; lockedOut?: number } = {},
  ): Record<string, unknown> => ({
    ApplicationId: applicationId,
    UserId: userId,
    Password: password.hash,
    PasswordFormat: password.format,
    PasswordSalt: password.salt,
    Email: email,
    LoweredEmail: email.toLowerCase(),
    IsApproved: flags.approved ?? 1,
    IsLockedOut: flags.lockedOut ?? 0,
    CreateDate: '2009-05-01 10:00:00',
    LastLoginDate: '2012-03-04 05:06:07',
    LastPasswordChangedDate: '2009-05-01 10:00:00',
    LastLockoutDate: '1754-01-01 00:00:00',
    FailedPasswordAttemptCount: 0,
    FailedPasswordAttemptWindowStart: '1754-01-01 00:00:00',
    FailedPasswordAnswerAttemptCount: 0,
    FailedPasswordAnswerAttemptWindowStart: '1754-01-01 00:00:00',
  });
  const hashed = (v: Vector): { hash: string; salt: string; format: number } => ({ hash: v.hash, salt: String(v.context?.['salt']), format: 1 });
  const database = fixture(() =>
    open(sqliteDatabase('aspnet-membership.sqlite.sql', {
      aspnet_Applications: [
        { ApplicationName: '/', LoweredApplicationName: '/', ApplicationId: rootApp },
        { ApplicationName: '/Shop', LoweredApplicationName: '/shop', ApplicationId: shopApp },
      ],
      aspnet_Users: [
        user(rootApp, ids.alice, 'Alice'),
        user(rootApp, ids.bob, 'bob'),
        user(rootApp, ids.carol, 'Carol'),
        user(rootApp, ids.dave, 'dave'),
        user(rootApp, ids.erin, 'erin'),
        // An anonymous profile user: no aspnet_Membership row, no password, not a sign-in account.
        user(rootApp, ids.anonymous, '5f1c0e52-anonymous', 1),
        user(shopApp, ids.shopAlice, 'alice'),
      ],
      aspnet_Membership: [
        membership(rootApp, ids.alice, 'Alice@Example.org', hashed(sha1Alice)),
        membership(rootApp, ids.bob, 'bob@example.org', hashed(sha1Bob), { approved: 0 }),
        membership(rootApp, ids.carol, 'carol@example.org', hashed(sha1Carol), { lockedOut: 1 }),
        // PasswordFormat 2: reversible encryption under the site's machineKey (an opaque base64 value here).
        membership(rootApp, ids.dave, 'dave@example.org', { hash: 'q3Jk8cV0bXk1L9yY2oZp0w4Tq7u2mE1xRkWn5sHd9aI=', salt: 'x6A2v9Qb1Tn4Lp8Wc3Zr5g==', format: 2 }),
        // PasswordFormat 0: clear text.
        membership(rootApp, ids.erin, 'erin@example.org', { hash: 'Erin-clear-2009', salt: 'n0tUs3dF0rCl34rT3xt0==', format: 0 }),
        membership(shopApp, ids.shopAlice, 'alice@shop.example.org', hashed(sha256Alice)),
      ],
    })),
  );
  const preset = { name: 'aspnet-membership', applicationName: '/' };

  it('verifies a right password (SHA1, PasswordFormat 1) and refuses a wrong one', async () => {
    await withStore(database(), preset, async (store) => {
      expect(await store.verify({ username: 'ALICE', password: sha1Alice.password })).toMatchObject({ status: 'valid', subjectId: ids.alice, scheme: 'aspnet_membership_sha1' });
      expect(await store.verify({ username: 'alice@example.org', password: sha1Alice.password })).toMatchObject({ status: 'valid', subjectId: ids.alice });
      expect(await store.verify({ username: 'alice', password: 'password!' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect((await store.verify({ username: 'nobody', password: 'password' })).status).toBe('unknown_user');
    });
  });

  it('answers IsApproved = 0 as disabled and IsLockedOut = 1 as locked, after the right password only', async () => {
    await withStore(database(), preset, async (store) => {
      expect(await store.verify({ username: 'bob', password: sha1Bob.password })).toMatchObject({ status: 'disabled' });
      expect((await store.verify({ username: 'bob', password: 'wrong horse' })).status).toBe('invalid');
      expect(await store.verify({ username: 'carol', password: sha1Carol.password })).toMatchObject({ status: 'locked', by: 'legacy_store' });
      expect((await store.verify({ username: 'carol', password: 'Tr0ub4dor&4' })).status).toBe('invalid');
    });
  });

  it('reports PasswordFormat 2 as unavailable/misconfigured (the machineKey is needed), never as a wrong password', async () => {
    await withStore(database(), preset, async (store) => {
      for (const password of ['the-real-one', 'anything else']) {
        const outcome = await store.verify({ username: 'dave', password });
        expect(outcome).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
        expect(outcome.status === 'unavailable' && outcome.error.code).toBe('ERR_LEGACY_IDP_HASH_UNSUPPORTED');
        expect(outcome.status === 'unavailable' && outcome.error.message).toMatch(/machineKey/u);
      }
    });
  });

  it('compares PasswordFormat 0 (clear) and marks the credential recoverable', async () => {
    await withStore(database(), preset, async (store) => {
      expect(await store.verify({ username: 'erin', password: 'Erin-clear-2009' })).toMatchObject({ status: 'valid', subjectId: ids.erin });
      expect((await store.verify({ username: 'erin', password: 'erin-clear-2009' })).status).toBe('invalid');
      expect((await store.get('erin'))?.credential).toMatchObject({ recoverable: true, context: { passwordFormat: 0 } });
    });
  });

  it('reads the profile by user name and by email', async () => {
    await withStore(database(), preset, async (store) => {
      const alice = await store.get('Alice');
      expect(alice).toMatchObject({
        subjectId: ids.alice,
        username: 'alice',
        email: 'alice@example.org',
        enabled: true,
        attributes: { userName: 'Alice', createdAt: datetime('2009-05-01 10:00:00'), lastLoginAt: datetime('2012-03-04 05:06:07') },
        credential: { scheme: 'aspnet_membership_sha1', hash: sha1Alice.hash, context: { salt: sha1Alice.context?.['salt'], passwordFormat: 1 } },
      });
      expect((await store.get('ALICE@EXAMPLE.ORG'))?.subjectId).toBe(ids.alice);
      expect((await store.get('bob'))?.enabled).toBe(false);
    });
  });

  it("lists the application's members (not anonymous users, not other applications)", async () => {
    await withStore(database(), preset, async (store) => {
      const all = await listAll(store);
      expect(all.map((profile) => profile.subjectId)).toEqual([ids.alice, ids.bob, ids.carol, ids.dave, ids.erin]);
      expect(all.map((profile) => profile.username)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    });
  });

  it('reads another application with its own hash algorithm (SHA256); without applicationName a shared name finds nobody', async () => {
    await withStore(database(), { name: 'aspnet-membership', applicationName: '/Shop', hashAlgorithm: 'SHA256' }, async (store) => {
      expect(await store.verify({ username: 'alice', password: sha256Alice.password })).toMatchObject({ status: 'valid', subjectId: ids.shopAlice, scheme: 'aspnet_membership_sha256' });
      expect((await listAll(store)).map((profile) => profile.subjectId)).toEqual([ids.shopAlice]);
    });
    await withStore(database(), 'aspnet-membership', async (store) => {
      expect(await store.verify({ username: 'alice', password: sha1Alice.password })).toMatchObject({ status: 'unknown_user', detail: '2 users match this login' });
      expect(await store.verify({ username: 'bob', password: sha1Bob.password })).toMatchObject({ status: 'disabled' });
      expect(await listAll(store)).toHaveLength(6);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// ASP.NET Core Identity and Identity 2 (SQL Server schema on SQLite)

describe.each(sqlServerTransports)('preset aspnet-identity ($label)', ({ open, bit }) => {
  // All published aspnetcore vectors share the password "my password".
  const v3Sha256 = vector('aspnet_identity', 'my password', 'AQAAAAEAACcQ');
  const v2 = vector('aspnet_identity', 'my password', 'AAAB');
  const v2Other = vector('aspnet_identity', 'my password', 'ANXr');
  const v3Sha512 = vector('aspnet_identity', 'my password', 'AQAAAAIAAAAy');
  const v3Sha1 = vector('aspnet_identity', 'my password', 'AQAAAAAAAAD6');
  const password = 'my password';
  const row = (id: string, userName: string, email: string | null, hash: string | null, lockout: { end?: string; enabled?: number } = {}): Record<string, unknown> => ({
    Id: id,
    UserName: userName,
    NormalizedUserName: userName.toUpperCase(),
    Email: email,
    NormalizedEmail: email?.toUpperCase() ?? null,
    EmailConfirmed: 1,
    PasswordHash: hash,
    SecurityStamp: 'QZ3YB3ZC2R4P6N7K5XWJ2T4F6D3U2M7L',
    ConcurrencyStamp: '7f0c2c59-8e6a-4b8b-9f43-2f3b0d6c1a11',
    PhoneNumber: null,
    PhoneNumberConfirmed: 0,
    TwoFactorEnabled: 0,
    LockoutEnd: lockout.end ?? null,
    LockoutEnabled: lockout.enabled ?? 1,
    AccessFailedCount: 0,
  });
  const database = fixture(() =>
    open(sqliteDatabase('aspnet-identity.sqlite.sql', {
      AspNetUsers: [
        row('3b1f6c2e-0001-4c1a-9d2e-5f7a8b9c0d01', 'Alice', 'Alice@Example.org', v3Sha256.hash),
        row('3b1f6c2e-0002-4c1a-9d2e-5f7a8b9c0d02', 'bob', 'bob@example.org', v2.hash),
        // LockoutEnd = DateTimeOffset.MaxValue: how Identity apps disable an account.
        row('3b1f6c2e-0003-4c1a-9d2e-5f7a8b9c0d03', 'carol', 'carol@example.org', v3Sha512.hash, { end: '9999-12-31 23:59:59.9999999+00:00' }),
        // A lockout end date with lockout disabled for the user does not lock (IsLockedOutAsync).
        row('3b1f6c2e-0004-4c1a-9d2e-5f7a8b9c0d04', 'dave', 'dave@example.org', v2Other.hash, { end: '2999-01-01 00:00:00+00:00', enabled: 0 }),
        // A lockout that ended is no lockout.
        row('3b1f6c2e-0005-4c1a-9d2e-5f7a8b9c0d05', 'erin', null, v3Sha1.hash, { end: '2001-01-01 00:00:00+00:00' }),
        // An external-login-only user: no PasswordHash.
        row('3b1f6c2e-0006-4c1a-9d2e-5f7a8b9c0d06', 'frank', 'frank@example.org', null),
      ],
    })),
  );

  it('verifies V3 and V2 hashes, refuses a wrong password', async () => {
    await withStore(database(), 'aspnet-identity', async (store) => {
      expect(await store.verify({ username: 'alice', password })).toMatchObject({ status: 'valid', subjectId: '3b1f6c2e-0001-4c1a-9d2e-5f7a8b9c0d01', scheme: 'aspnet_identity' });
      expect(await store.verify({ username: 'BOB@example.org', password })).toMatchObject({ status: 'valid', subjectId: '3b1f6c2e-0002-4c1a-9d2e-5f7a8b9c0d02', needsUpgrade: true });
      expect(await store.verify({ username: 'alice', password: 'my password!' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect(await store.verify({ username: 'frank', password })).toMatchObject({ status: 'invalid', detail: 'no stored password' });
    });
  });

  it('locks on a future LockoutEnd only while LockoutEnabled is true', async () => {
    await withStore(database(), 'aspnet-identity', async (store) => {
      expect(await store.verify({ username: 'carol', password })).toMatchObject({ status: 'locked', by: 'legacy_store' });
      expect((await store.verify({ username: 'carol', password: 'not my password' })).status).toBe('invalid');
      expect(await store.verify({ username: 'dave', password })).toMatchObject({ status: 'valid', subjectId: '3b1f6c2e-0004-4c1a-9d2e-5f7a8b9c0d04' });
      expect(await store.verify({ username: 'erin', password })).toMatchObject({ status: 'valid', subjectId: '3b1f6c2e-0005-4c1a-9d2e-5f7a8b9c0d05' });
    });
  });

  it('reads the profile by user name and by email, with the email as written', async () => {
    await withStore(database(), 'aspnet-identity', async (store) => {
      const alice = await store.get('alice@EXAMPLE.org');
      expect(alice).toMatchObject({
        subjectId: '3b1f6c2e-0001-4c1a-9d2e-5f7a8b9c0d01',
        username: 'ALICE',
        email: 'Alice@Example.org',
        attributes: { userName: 'Alice', email: 'Alice@Example.org', emailVerified: bit(1), lockoutEnabled: bit(1) },
        credential: { scheme: 'aspnet_identity', hash: v3Sha256.hash },
      });
      expect((await store.get('Alice'))?.subjectId).toBe(alice?.subjectId);
      expect((await store.get('frank'))?.credential).toBeUndefined();
    });
  });

  it('lists every user', async () => {
    await withStore(database(), 'aspnet-identity', async (store) => {
      const all = await listAll(store);
      expect(all.map((profile) => profile.username)).toEqual(['ALICE', 'BOB', 'CAROL', 'DAVE', 'ERIN', 'FRANK']);
      expect(all.filter((profile) => profile.credential !== undefined)).toHaveLength(5);
    });
  });

  describe('schema identity2 (ASP.NET Identity 2.x)', () => {
    const identity2 = fixture(() =>
      sqliteDatabase('aspnet-identity2.sqlite.sql', {
        AspNetUsers: [
          { Id: 'a1c4e9f2-0001-4b7d-8e2f-3a5c7e9b1d01', Email: 'alice@example.org', EmailConfirmed: 1, PasswordHash: v2.hash, SecurityStamp: 's1', PhoneNumber: null, PhoneNumberConfirmed: 0, TwoFactorEnabled: 0, LockoutEndDateUtc: null, LockoutEnabled: 1, AccessFailedCount: 0, UserName: 'Alice' },
          { Id: 'a1c4e9f2-0002-4b7d-8e2f-3a5c7e9b1d02', Email: 'bob@example.org', EmailConfirmed: 0, PasswordHash: v2Other.hash, SecurityStamp: 's2', PhoneNumber: null, PhoneNumberConfirmed: 0, TwoFactorEnabled: 0, LockoutEndDateUtc: '2999-01-01 00:00:00', LockoutEnabled: 1, AccessFailedCount: 5, UserName: 'bob' },
        ],
      }),
    );
    const preset = { name: 'aspnet-identity', schema: 'identity2' };

    it('verifies, locks on LockoutEndDateUtc, reads and lists', async () => {
      await withStore(identity2(), preset, async (store) => {
        expect(await store.verify({ username: 'alice', password })).toMatchObject({ status: 'valid', subjectId: 'a1c4e9f2-0001-4b7d-8e2f-3a5c7e9b1d01' });
        expect((await store.verify({ username: 'alice', password: 'my passwort' })).status).toBe('invalid');
        expect(await store.verify({ username: 'BOB@EXAMPLE.ORG', password })).toMatchObject({ status: 'locked' });
        expect(await store.get('ALICE@example.org')).toMatchObject({ username: 'ALICE', email: 'alice@example.org', attributes: { emailVerified: 1 } });
        expect((await listAll(store)).map((profile) => profile.subjectId)).toEqual(['a1c4e9f2-0001-4b7d-8e2f-3a5c7e9b1d01', 'a1c4e9f2-0002-4b7d-8e2f-3a5c7e9b1d02']);
      });
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// WordPress (MariaDB)

describeWithService('mariadb', 'preset wordpress (MariaDB)', () => {
  const phpass = vector('phpass', 'password', '$P$');
  const wpBcrypt = vector('wordpress_bcrypt', 'correct horse battery staple');
  const phpBcrypt = vector('bcrypt', 'пароль', '$2y$04$LM87');
  const md5 = vector('hex_md5', 'Straße');
  const spammerHash = vector('phpass', 'Tr0ub4dor&3', '$P$');
  const wpUser = (id: number, login: string, email: string, pass: string, displayName: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    ID: id,
    user_login: login,
    user_pass: pass,
    user_nicename: login.toLowerCase(),
    user_email: email,
    user_url: '',
    user_registered: '2015-06-23 13:57:44',
    user_activation_key: '',
    user_status: 0,
    display_name: displayName,
    ...extra,
  });
  const database = fixture(() =>
    mariadbDatabase('wordpress.mysql.sql', {
      wp_users: [
        wpUser(1, 'admin', 'admin@example.org', phpass.hash, 'Site Admin'),
        wpUser(2, 'Editor', 'Editor@Example.org', wpBcrypt.hash, 'Eddie Editor'),
        wpUser(3, 'author', 'author@example.org', phpBcrypt.hash, 'Аня Автор'),
        wpUser(4, 'oldtimer', 'old@example.org', md5.hash, 'Old Timer'),
      ],
    }),
  );

  it('verifies phpass $P$, $wp$ bcrypt (6.8+), plain $2y$ bcrypt and a pre-2.5 MD5 row; refuses a wrong password', async () => {
    await withStore(database(), 'wordpress', async (store) => {
      expect(await store.verify({ username: 'admin', password: phpass.password })).toMatchObject({ status: 'valid', subjectId: '1', scheme: 'phpass' });
      expect(await store.verify({ username: 'editor', password: wpBcrypt.password })).toMatchObject({ status: 'valid', subjectId: '2', scheme: 'wordpress_bcrypt' });
      expect(await store.verify({ username: 'author@example.org', password: phpBcrypt.password })).toMatchObject({ status: 'valid', subjectId: '3', scheme: 'bcrypt' });
      expect(await store.verify({ username: 'oldtimer', password: md5.password })).toMatchObject({ status: 'valid', subjectId: '4', scheme: 'hex_md5', needsUpgrade: true });
      expect(await store.verify({ username: 'admin', password: 'Password' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect((await store.verify({ username: 'oldtimer', password: 'Strasse' })).status).toBe('invalid');
    });
  });

  it('reads the profile by login and by email', async () => {
    await withStore(database(), 'wordpress', async (store) => {
      expect(await store.get('EDITOR')).toMatchObject({ subjectId: '2', username: 'editor', email: 'Editor@Example.org', displayName: 'Eddie Editor', enabled: true, credential: { scheme: 'auto', hash: wpBcrypt.hash } });
      expect((await store.get('editor@example.org'))?.subjectId).toBe('2');
      expect((await store.get('oldtimer'))?.credential).toMatchObject({ scheme: 'hex_md5', hash: md5.hash });
      expect((await store.get('author'))?.displayName).toBe('Аня Автор');
    });
  });

  it('lists every user', async () => {
    await withStore(database(), 'wordpress', async (store) => {
      expect((await listAll(store)).map((profile) => profile.subjectId)).toEqual(['1', '2', '3', '4']);
    });
  });

  describe('multisite with a table prefix', () => {
    const network = fixture(() =>
      mariadbDatabase('wordpress-multisite.mysql.sql', {
        net_users: [wpUser(1, 'regular', 'regular@example.org', phpass.hash, 'Regular', { spam: 0 }), wpUser(2, 'spammer', 'spam@example.org', spammerHash.hash, 'Spammer', { spam: 1 })],
      }),
    );
    const preset = { name: 'wordpress', tablePrefix: 'net_', multisite: true };

    it('reads <prefix>users and answers spam = 1 as disabled after the right password', async () => {
      await withStore(network(), preset, async (store) => {
        expect(await store.verify({ username: 'regular', password: phpass.password })).toMatchObject({ status: 'valid', subjectId: '1' });
        expect(await store.verify({ username: 'spammer', password: spammerHash.password })).toMatchObject({ status: 'disabled', detail: 'wp_users.spam is set (multisite)' });
        expect((await store.verify({ username: 'spammer', password: 'Tr0ub4dor&4' })).status).toBe('invalid');
        expect((await listAll(store)).map((profile) => [profile.subjectId, profile.enabled])).toEqual([
          ['1', true],
          ['2', false],
        ]);
      });
    });

    it('misses the default table when the prefix is wrong: unavailable/misconfigured, not a wrong password', async () => {
      await withStore(network(), 'wordpress', async (store) => {
        expect(await store.verify({ username: 'regular', password: phpass.password })).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
      });
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Django (PostgreSQL)

describeWithService('postgres', 'preset django (PostgreSQL)', () => {
  const alice = vector('django_pbkdf2_sha256', 'password', 'pbkdf2_sha256$1000$G8vux1UntcHf$');
  const bob = vector('django_argon2', 'correct horse battery staple', 'argon2$argon2id$v=19$m=256');
  const carol = vector('django_pbkdf2_sha256', 'Straße', 'pbkdf2_sha256$1000$hSrut');
  const unusable = '!JMdRL3b3spR51tKFY2U851jugHx7b3Ww0gdCwRPI';
  const erin = vector('django_unsalted_md5', 'lètmein', '88a4');
  const djangoUser = (id: number, username: string, password: string, names: [string, string], email: string, flags: { active?: boolean; staff?: boolean } = {}): Record<string, unknown> => ({
    id,
    password,
    last_login: new Date('2024-02-03T04:05:06Z'),
    is_superuser: false,
    username,
    first_name: names[0],
    last_name: names[1],
    email,
    is_staff: flags.staff ?? false,
    is_active: flags.active ?? true,
    date_joined: new Date('2019-01-02T03:04:05Z'),
  });
  const database = fixture(() =>
    postgresDatabase('django.postgres.sql', {
      auth_user: [
        djangoUser(1, 'alice', alice.hash, ['Alice', 'Liddell'], 'alice@example.org', { staff: true }),
        djangoUser(2, 'bob', bob.hash, ['', ''], 'bob@example.org'),
        djangoUser(3, 'carol', carol.hash, ['Carol', ''], 'carol@example.org', { active: false }),
        djangoUser(4, 'dave', unusable, ['Dave', ''], ''),
        djangoUser(5, 'erin', erin.hash, ['', ''], 'erin@example.org'),
      ],
    }),
  );

  it('verifies pbkdf2_sha256, argon2 and a bare unsalted-MD5 row; refuses a wrong password', async () => {
    await withStore(database(), 'django', async (store) => {
      expect(await store.verify({ username: 'alice', password: alice.password })).toMatchObject({ status: 'valid', subjectId: '1', scheme: 'django_pbkdf2_sha256' });
      expect(await store.verify({ username: 'bob@example.org', password: bob.password })).toMatchObject({ status: 'valid', subjectId: '2', scheme: 'django_argon2' });
      expect(await store.verify({ username: 'erin', password: erin.password })).toMatchObject({ status: 'valid', subjectId: '5', scheme: 'django_unsalted_md5' });
      expect(await store.verify({ username: 'alice', password: 'passwort' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
    });
  });

  it('answers is_active = false as disabled; an unusable password (!...) never verifies', async () => {
    await withStore(database(), 'django', async (store) => {
      expect(await store.verify({ username: 'carol', password: carol.password })).toMatchObject({ status: 'disabled', detail: 'auth_user.is_active is false' });
      expect((await store.verify({ username: 'carol', password: 'Strasse' })).status).toBe('invalid');
      for (const password of [unusable, unusable.slice(1), 'anything']) {
        expect(await store.verify({ username: 'dave', password })).toMatchObject({ status: 'invalid', detail: 'no stored password' });
      }
    });
  });

  it('reads the profile by username and by email', async () => {
    await withStore(database(), 'django', async (store) => {
      expect(await store.get('Alice')).toMatchObject({
        subjectId: '1',
        username: 'alice',
        email: 'alice@example.org',
        givenName: 'Alice',
        surname: 'Liddell',
        attributes: { isStaff: true, isSuperuser: false, dateJoined: '2019-01-02T03:04:05.000Z', lastLogin: '2024-02-03T04:05:06.000Z' },
        credential: { scheme: 'auto', hash: alice.hash },
      });
      expect((await store.get('ERIN@example.org'))?.credential).toMatchObject({ hash: `md5$$${erin.hash}` });
      expect((await store.get('dave'))?.credential).toBeUndefined();
    });
  });

  it('lists every user', async () => {
    await withStore(database(), 'django', async (store) => {
      const all = await listAll(store);
      expect(all.map((profile) => profile.subjectId)).toEqual(['1', '2', '3', '4', '5']);
      expect(all.map((profile) => profile.enabled)).toEqual([true, true, false, true, true]);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Drupal 7 (MariaDB)

describeWithService('mariadb', 'preset drupal7 (MariaDB)', () => {
  const admin = vector('drupal7', 'hashcat', '$S$C2034');
  const bob = vector('drupal7', 'password', '$S$');
  const blocked = vector('drupal7', 'Tr0ub4dor&3', '$S$');
  const imported = vector('phpass', 'correct horse battery staple', '$H$');
  // U$ + the $S$ loop over md5hex("hashcat") with the hashcat vector's setting: the value
  // test/hashes/application.test.ts checks, from a Python transcription of Drupal 7 includes/password.inc.
  const upgraded = 'U$S$C20340258BaC2UXeN6rIw17UdC7RgG1iBC4b346zdsxjT6OGR/M7';
  const drupalUser = (uid: number, name: string, pass: string, mail: string, status: number): Record<string, unknown> => ({
    uid,
    name,
    pass,
    mail,
    created: 1_300_000_000 + uid,
    access: 1_400_000_000 + uid,
    login: 1_400_000_000 + uid,
    status,
    init: mail,
  });
  const database = fixture(() =>
    mariadbDatabase('drupal7.mysql.sql', {
      users: [
        drupalUser(0, '', '', '', 0),
        drupalUser(1, 'admin', admin.hash, 'admin@example.org', 1),
        drupalUser(2, 'Bob', bob.hash, 'bob@example.org', 1),
        drupalUser(3, 'carol', upgraded, 'carol@example.org', 1),
        drupalUser(4, 'dave', imported.hash, 'dave@example.org', 1),
        drupalUser(5, 'blocked', blocked.hash, 'blocked@example.org', 0),
      ],
    }),
  );

  it('verifies $S$, U$S$ (upgraded Drupal 6 MD5) and imported phpass $H$; refuses a wrong password', async () => {
    await withStore(database(), 'drupal7', async (store) => {
      expect(await store.verify({ username: 'admin', password: admin.password })).toMatchObject({ status: 'valid', subjectId: '1', scheme: 'drupal7' });
      expect(await store.verify({ username: 'bob', password: bob.password })).toMatchObject({ status: 'valid', subjectId: '2', scheme: 'drupal7' });
      expect(await store.verify({ username: 'carol', password: 'hashcat' })).toMatchObject({ status: 'valid', subjectId: '3', scheme: 'drupal7' });
      expect(await store.verify({ username: 'dave@example.org', password: imported.password })).toMatchObject({ status: 'valid', subjectId: '4', scheme: 'phpass' });
      expect(await store.verify({ username: 'admin', password: 'hashcat!' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
    });
  });

  it('answers status = 0 as disabled after the right password', async () => {
    await withStore(database(), 'drupal7', async (store) => {
      expect(await store.verify({ username: 'blocked', password: blocked.password })).toMatchObject({ status: 'disabled', detail: 'users.status is 0 (blocked)' });
      expect((await store.verify({ username: 'blocked', password: 'Tr0ub4dor&4' })).status).toBe('invalid');
    });
  });

  it('reads the profile by name and by mail', async () => {
    await withStore(database(), 'drupal7', async (store) => {
      expect(await store.get('BOB')).toMatchObject({ subjectId: '2', username: 'bob', email: 'bob@example.org', enabled: true, attributes: { createdAt: 1_300_000_002, lastLoginAt: 1_400_000_002 } });
      expect((await store.get('carol@example.org'))?.credential).toMatchObject({ scheme: 'auto', hash: upgraded });
    });
  });

  it('lists every user but the anonymous uid 0', async () => {
    await withStore(database(), 'drupal7', async (store) => {
      const all = await listAll(store);
      expect(all.map((profile) => profile.subjectId)).toEqual(['1', '2', '3', '4', '5']);
      expect(store.stats.skippedRows).toBe(0);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Keycloak (PostgreSQL)

describeWithService('postgres', 'preset keycloak (PostgreSQL)', () => {
  const acme = '5e0b7a39-4c52-4d6e-9a1f-2b3c4d5e6f70';
  /** The CREDENTIAL columns of a vector: its hash holds secretData / credentialData as JSON strings, as the table does. */
  const columnsOf = (v: Vector): { secret_data: string; credential_data: string } => {
    const parsed = JSON.parse(v.hash) as { secretData: unknown; credentialData: unknown };
    if (typeof parsed.secretData !== 'string' || typeof parsed.credentialData !== 'string') throw new Error('expected the CREDENTIAL-table form of a Keycloak vector');
    return { secret_data: parsed.secretData, credential_data: parsed.credentialData };
  };
  const alice = vector('keycloak_pbkdf2_sha256', 'password');
  const bob = vector('keycloak_pbkdf2_sha512', 'correct horse battery staple');
  const carol = vector('keycloak_pbkdf2', 'password');
  const dave = vector('keycloak_pbkdf2_sha256', 'correct horse battery staple');
  const masterAlice = vector('keycloak_pbkdf2_sha512', 'Straße');
  const userRow = (id: string, realm: string, username: string, email: string | null, names: [string | null, string | null], flags: { enabled?: boolean; serviceAccount?: string } = {}): Record<string, unknown> => ({
    id,
    email,
    email_constraint: email ?? id,
    email_verified: email !== null,
    enabled: flags.enabled ?? true,
    federation_link: null,
    first_name: names[0],
    last_name: names[1],
    realm_id: realm,
    username,
    created_timestamp: 1_700_000_000_000,
    service_account_client_link: flags.serviceAccount ?? null,
    not_before: 0,
  });
  const credentialRow = (id: string, userId: string, columns: { secret_data: string; credential_data: string }): Record<string, unknown> => ({
    id,
    salt: null,
    type: 'password',
    user_id: userId,
    created_date: 1_700_000_000_000,
    user_label: null,
    ...columns,
    priority: 10,
  });
  const ids = {
    alice: '0c6f1b9e-0001-4e51-a0f4-7e1b2c3d4e01',
    bob: '0c6f1b9e-0002-4e51-a0f4-7e1b2c3d4e02',
    carol: '0c6f1b9e-0003-4e51-a0f4-7e1b2c3d4e03',
    dave: '0c6f1b9e-0004-4e51-a0f4-7e1b2c3d4e04',
    erin: '0c6f1b9e-0005-4e51-a0f4-7e1b2c3d4e05',
    frank: '0c6f1b9e-0006-4e51-a0f4-7e1b2c3d4e06',
    service: '0c6f1b9e-0007-4e51-a0f4-7e1b2c3d4e07',
    masterAlice: '0c6f1b9e-0008-4e51-a0f4-7e1b2c3d4e08',
  };
  const database = fixture(() =>
    postgresDatabase('keycloak.postgres.sql', {
      realm: [
        { id: 'master', enabled: true, name: 'master' },
        { id: acme, enabled: true, name: 'acme' },
      ],
      user_entity: [
        userRow(ids.alice, acme, 'alice', 'alice@example.org', ['Alice', 'Liddell']),
        userRow(ids.bob, acme, 'bob', 'bob@example.org', ['Bob', null]),
        userRow(ids.carol, acme, 'carol', null, [null, null]),
        userRow(ids.dave, acme, 'dave', 'dave@example.org', ['Dave', null], { enabled: false }),
        userRow(ids.erin, acme, 'erin', 'erin@example.org', [null, null]),
        userRow(ids.frank, acme, 'frank', 'frank@example.org', [null, null]),
        userRow(ids.service, acme, 'service-account-backend', null, [null, null], { serviceAccount: '9a8b7c6d-0000-4000-8000-00000000c11e' }),
        userRow(ids.masterAlice, 'master', 'alice', 'alice@example.org', [null, null]),
      ],
      credential: [
        credentialRow('c0000000-0000-4000-8000-000000000001', ids.alice, columnsOf(alice)),
        credentialRow('c0000000-0000-4000-8000-000000000002', ids.bob, columnsOf(bob)),
        credentialRow('c0000000-0000-4000-8000-000000000003', ids.carol, columnsOf(carol)),
        credentialRow('c0000000-0000-4000-8000-000000000004', ids.dave, columnsOf(dave)),
        // Keycloak 25+'s argon2 layout: routed by its algorithm to a scheme the registry does not have (the value
        // is not a hash of anything: the test only checks the answer is "misconfigured", never "invalid").
        credentialRow('c0000000-0000-4000-8000-000000000005', ids.erin, {
          secret_data: '{"value":"GGk0q3TEnbvZJq3iq2I1OtcWBTpS/XOb3WL7cm9yV1o=","salt":"yQe6yD9Cb4BiNWE3NEDwpA==","additionalParameters":{}}',
          credential_data: '{"hashIterations":5,"algorithm":"argon2","additionalParameters":{"hashLength":["32"],"memory":["7168"],"type":["id"],"version":["1.3"],"parallelism":["1"]}}',
        }),
        // A TOTP credential is not a password: frank has none.
        { id: 'c0000000-0000-4000-8000-000000000006', salt: null, type: 'otp', user_id: ids.frank, created_date: 1, user_label: null, secret_data: '{"value":"JBSWY3DPEHPK3PXP"}', credential_data: '{"subType":"totp","digits":6,"period":30,"algorithm":"HmacSHA1"}', priority: 20 },
        credentialRow('c0000000-0000-4000-8000-000000000008', ids.masterAlice, columnsOf(masterAlice)),
      ],
    }),
  );
  const preset = { name: 'keycloak', realmName: 'acme' };

  it('verifies pbkdf2-sha256, pbkdf2-sha512 and pbkdf2 credentials of the realm; refuses a wrong password', async () => {
    await withStore(database(), preset, async (store) => {
      expect(await store.verify({ username: 'Alice', password: alice.password })).toMatchObject({ status: 'valid', subjectId: ids.alice, scheme: 'keycloak_pbkdf2_sha256' });
      expect(await store.verify({ username: 'bob@example.org', password: bob.password })).toMatchObject({ status: 'valid', subjectId: ids.bob, scheme: 'keycloak_pbkdf2_sha512' });
      expect(await store.verify({ username: 'carol', password: carol.password })).toMatchObject({ status: 'valid', subjectId: ids.carol, scheme: 'keycloak_pbkdf2' });
      expect(await store.verify({ username: 'alice', password: 'Password' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      // master's alice has another password: the realm keeps them apart.
      expect((await store.verify({ username: 'alice', password: masterAlice.password })).status).toBe('invalid');
    });
  });

  it('answers enabled = false as disabled; no password credential never verifies; an unknown algorithm is misconfigured', async () => {
    await withStore(database(), preset, async (store) => {
      expect(await store.verify({ username: 'dave', password: dave.password })).toMatchObject({ status: 'disabled', detail: 'user_entity.enabled is false' });
      expect((await store.verify({ username: 'dave', password: 'correct horse battery stapler' })).status).toBe('invalid');
      expect(await store.verify({ username: 'frank', password: 'JBSWY3DPEHPK3PXP' })).toMatchObject({ status: 'invalid', detail: 'no stored password' });
      const argon = await store.verify({ username: 'erin', password: 'whatever-it-was' });
      expect(argon).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
      expect(argon.status === 'unavailable' && argon.error.message).toMatch(/keycloak_argon2/u);
      expect((await store.verify({ username: 'service-account-backend', password: 'x-secret' })).status).toBe('unknown_user');
    });
  });

  it('reads the profile by username and by email', async () => {
    await withStore(database(), preset, async (store) => {
      const profile = await store.get('ALICE@example.org');
      expect(profile).toMatchObject({
        subjectId: ids.alice,
        username: 'alice',
        email: 'alice@example.org',
        givenName: 'Alice',
        surname: 'Liddell',
        enabled: true,
        attributes: { emailVerified: true, createdTimestamp: '1700000000000' },
        credential: { scheme: 'keycloak_pbkdf2_sha256' },
      });
      // The hash is the JSON the keycloak_* schemes read, built from the two CREDENTIAL columns.
      const { secret_data: secretData, credential_data: credentialData } = columnsOf(alice);
      expect(JSON.parse(profile?.credential?.hash ?? '{}')).toEqual({ secretData, credentialData });
      expect((await store.get('bob'))?.subjectId).toBe(ids.bob);
    });
  });

  it("lists the realm's users (no service accounts, users without a password included)", async () => {
    await withStore(database(), preset, async (store) => {
      const all = await listAll(store);
      expect(all.map((profile) => profile.username)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);
      expect(all.find((profile) => profile.username === 'frank')?.credential).toBeUndefined();
    });
  });

  it('takes the realm by id as well, as a bound parameter', async () => {
    await withStore(database(), { name: 'keycloak', realm: 'master' }, async (store) => {
      expect(await store.verify({ username: 'alice', password: masterAlice.password })).toMatchObject({ status: 'valid', subjectId: ids.masterAlice });
      expect((await listAll(store)).map((profile) => profile.subjectId)).toEqual([ids.masterAlice]);
    });
    await withStore(database(), { name: 'keycloak', realm: "master' OR '1'='1" }, async (store) => {
      expect(await listAll(store)).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Laravel (SQLite)

describe('preset laravel (SQLite)', () => {
  const alice = vector('bcrypt', 'password', '$2y$04$bqq9');
  const bob = vector('argon2id', 'Straße', '$argon2id$v=19$m=256,t=1,p=1$Ymc5');
  const carol = vector('bcrypt', 'correct horse battery staple', '$2y$04$8VfK');
  const laravelUser = (id: number, name: string, email: string, password: string): Record<string, unknown> => ({
    id,
    name,
    email,
    email_verified_at: id === 1 ? '2024-01-02 03:04:05' : null,
    password,
    remember_token: null,
    created_at: '2024-01-01 00:00:00',
    updated_at: '2024-01-01 00:00:00',
  });
  const database = fixture(() =>
    sqliteDatabase('laravel.sqlite.sql', {
      users: [
        laravelUser(1, 'Alice Liddell', 'alice@example.org', alice.hash),
        laravelUser(2, 'Bob', 'Bob@Example.org', bob.hash),
        laravelUser(3, 'Carol', 'carol@example.org', carol.hash),
      ],
    }),
  );

  it('verifies bcrypt $2y$ and argon2id by email; refuses a wrong password (the schema has no state column)', async () => {
    await withStore(database(), 'laravel', async (store) => {
      expect(await store.verify({ username: 'alice@example.org', password: alice.password })).toMatchObject({ status: 'valid', subjectId: '1', scheme: 'bcrypt' });
      expect(await store.verify({ username: 'bob@example.org', password: bob.password })).toMatchObject({ status: 'valid', subjectId: '2', scheme: 'argon2id' });
      expect(await store.verify({ username: 'carol@example.org', password: 'correct horse battery' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
    });
  });

  it('reads the profile by email and lists every user', async () => {
    await withStore(database(), 'laravel', async (store) => {
      expect(await store.get('ALICE@example.org')).toMatchObject({ subjectId: '1', username: 'alice@example.org', email: 'alice@example.org', displayName: 'Alice Liddell', attributes: { emailVerifiedAt: '2024-01-02 03:04:05' } });
      expect((await store.get('bob@example.org'))?.email).toBe('Bob@Example.org');
      expect((await listAll(store)).map((profile) => profile.username)).toEqual(['alice@example.org', 'bob@example.org', 'carol@example.org']);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Devise (SQLite)

describe('preset devise (SQLite)', () => {
  // The bcrypt gem writes $2a$.
  const alice = vector('bcrypt', 'correct horse battery staple', '$2a$04$S9Ge');
  const bob = vector('bcrypt', 'Straße', '$2a$04$GKev');
  const carol = vector('bcrypt', 'emoji🔑🙂', '$2a$04$pdbM');
  const railsTime = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '000');
  const deviseUser = (id: number, email: string, hash: string, lockedAt: Date | null): Record<string, unknown> => ({
    id,
    email,
    encrypted_password: hash,
    failed_attempts: lockedAt === null ? 0 : 5,
    locked_at: lockedAt === null ? null : railsTime(lockedAt),
    created_at: '2023-04-05 06:07:08.000000',
    updated_at: '2023-04-05 06:07:08.000000',
  });
  const database = fixture(() =>
    sqliteDatabase('devise.sqlite.sql', {
      users: [
        deviseUser(1, 'alice@example.org', alice.hash, null),
        // Locked ten minutes ago: within Devise's default unlock_in of one hour.
        deviseUser(2, 'bob@example.org', bob.hash, new Date(Date.now() - 10 * 60_000)),
        // Locked in 2001: the lock expired long ago.
        deviseUser(3, 'carol@example.org', carol.hash, new Date('2001-01-01T00:00:00Z')),
        // Devise's column default: no password (an OmniAuth-only account).
        deviseUser(4, 'dave@example.org', '', null),
      ],
    }),
  );
  const preset = { name: 'devise', lockable: true };

  it('verifies bcrypt by email and refuses a wrong password', async () => {
    await withStore(database(), preset, async (store) => {
      expect(await store.verify({ username: ' Alice@Example.org ', password: alice.password })).toMatchObject({ status: 'valid', subjectId: '1', scheme: 'bcrypt' });
      expect(await store.verify({ username: 'alice@example.org', password: 'correct horse battery stapler' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect(await store.verify({ username: 'dave@example.org', password: 'anything-1' })).toMatchObject({ status: 'invalid', detail: 'no stored password' });
    });
  });

  it('answers a lock younger than unlock_in as locked; an older one has expired', async () => {
    await withStore(database(), preset, async (store) => {
      expect(await store.verify({ username: 'bob@example.org', password: bob.password })).toMatchObject({ status: 'locked', by: 'legacy_store' });
      expect((await store.verify({ username: 'bob@example.org', password: 'Strasse' })).status).toBe('invalid');
      expect(await store.verify({ username: 'carol@example.org', password: carol.password })).toMatchObject({ status: 'valid', subjectId: '3' });
    });
    await withStore(database(), { name: 'devise', lockable: true, unlockInSeconds: null }, async (store) => {
      expect(await store.verify({ username: 'carol@example.org', password: carol.password })).toMatchObject({ status: 'locked' });
    });
    // Without lockable, locked_at means nothing.
    await withStore(database(), 'devise', async (store) => {
      expect(await store.verify({ username: 'bob@example.org', password: bob.password })).toMatchObject({ status: 'valid', subjectId: '2' });
    });
  });

  it("verifies with Devise's pepper appended to the password, and only with it", async () => {
    // Devise::Encryptor.digest: bcrypt of "#{password}#{pepper}" (bcryptjs stands in for the bcrypt gem here).
    const peppered = bcrypt.hashSync('Pepper-Pass-2024site-pepper-0f3a', 4);
    const db = sqliteDatabase('devise.sqlite.sql', { users: [deviseUser(7, 'erin@example.org', peppered, null)] });
    await withStore(db, { name: 'devise', pepper: 'site-pepper-0f3a' }, async (store) => {
      expect(await store.verify({ username: 'erin@example.org', password: 'Pepper-Pass-2024' })).toMatchObject({ status: 'valid', subjectId: '7' });
      expect((await store.verify({ username: 'erin@example.org', password: 'Pepper-Pass-2024site-pepper-0f3a' })).status).toBe('invalid');
    });
    await withStore(db, 'devise', async (store) => {
      expect((await store.verify({ username: 'erin@example.org', password: 'Pepper-Pass-2024' })).status).toBe('invalid');
    });
    await db.drop();
  });

  it('reads the profile by email and lists every user', async () => {
    await withStore(database(), preset, async (store) => {
      expect(await store.get('ALICE@EXAMPLE.ORG')).toMatchObject({ subjectId: '1', username: 'alice@example.org', email: 'alice@example.org', attributes: { createdAt: '2023-04-05 06:07:08.000000' }, credential: { scheme: 'bcrypt', hash: alice.hash } });
      const all = await listAll(store);
      expect(all.map((profile) => profile.subjectId)).toEqual(['1', '2', '3', '4']);
      expect(all[3]?.credential).toBeUndefined();
    });
  });
});
