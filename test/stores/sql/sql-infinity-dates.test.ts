/**
 * PostgreSQL's 'infinity' and '-infinity' in date states. EF Core with Npgsql 6+ stores DateTimeOffset.MaxValue
 * as 'infinity' (efcore.pg #2390): an ASP.NET Identity user disabled the usual way (LockoutEnd = MaxValue) answered
 * unavailable / misconfigured instead of locked, and '-infinity' (MinValue) misconfigured instead of no lock.
 * Run on the real server.
 */
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore } from '../../../src/stores/sql/sql-store.js';
import { createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';
import { hashVector } from './sql-vectors.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const identity = hashVector('aspnet_identity', 'my password');
const devisePassword = 'Devise-Lock-2024';

describeWithService('postgres', 'sql postgres: infinity and -infinity in date states', () => {
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`CREATE TABLE "AspNetUsers" ("Id" text NOT NULL PRIMARY KEY, "UserName" character varying(256), "NormalizedUserName" character varying(256),
        "Email" character varying(256), "NormalizedEmail" character varying(256), "EmailConfirmed" boolean NOT NULL, "PasswordHash" text, "SecurityStamp" text,
        "ConcurrencyStamp" text, "PhoneNumber" text, "PhoneNumberConfirmed" boolean NOT NULL, "TwoFactorEnabled" boolean NOT NULL,
        "LockoutEnd" timestamp with time zone, "LockoutEnabled" boolean NOT NULL, "AccessFailedCount" integer NOT NULL)`);
      const rows: Array<[string, string, string, boolean]> = [
        ['u1', 'banned', 'infinity', true],
        ['u2', 'minval', '-infinity', true],
        ['u3', 'unlocked', 'infinity', false],
        ['u4', 'maxval', '9999-12-31 23:59:59.999999+00', true],
      ];
      for (const [id, name, lockoutEnd, enabled] of rows) {
        await client.query(`INSERT INTO "AspNetUsers" VALUES ($1, $2::text, UPPER($2::text), $2::text || '@example.org', UPPER($2::text || '@example.org'), true, $3, 's', 'c', NULL, false, false, $4, $5, 0)`, [
          id,
          name,
          identity.hash,
          lockoutEnd,
          enabled,
        ]);
      }
      // Devise lockable's locked_at, timestamp without time zone.
      await client.query(`CREATE TABLE users (id bigserial PRIMARY KEY, email character varying NOT NULL, encrypted_password character varying NOT NULL,
        locked_at timestamp(6) without time zone, created_at timestamp(6) without time zone NOT NULL)`);
      await client.query("INSERT INTO users (email, encrypted_password, locked_at, created_at) VALUES ('forever@example.org', $1, 'infinity', now()), ('never@example.org', $1, '-infinity', now())", [
        bcrypt.hashSync(devisePassword, 4),
      ]);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('reads LockoutEnd infinity as locked and -infinity as no lock (ASP.NET Identity)', async () => {
    const store = await sqlUserStore({ dialect: 'postgres', connection: (database as ThrowawayDatabase).url, registry, preset: 'aspnet-identity' });
    try {
      expect((await store.verify({ username: 'banned', password: identity.password })).status).toBe('locked');
      expect((await store.verify({ username: 'maxval', password: identity.password })).status).toBe('locked');
      expect(await store.verify({ username: 'minval', password: identity.password })).toMatchObject({ status: 'valid', subjectId: 'u2' });
      // LockoutEnabled false: the date does not count, infinity or not.
      expect((await store.verify({ username: 'unlocked', password: identity.password })).status).toBe('valid');
      const banned = await store.get('banned');
      expect(banned?.enabled).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('reads a Devise locked_at of infinity as a lock that never expires and -infinity as long expired', async () => {
    const store = await sqlUserStore({ dialect: 'postgres', connection: (database as ThrowawayDatabase).url, registry, preset: { name: 'devise', lockable: true } });
    try {
      expect((await store.verify({ username: 'forever@example.org', password: devisePassword })).status).toBe('locked');
      expect((await store.verify({ username: 'never@example.org', password: devisePassword })).status).toBe('valid');
    } finally {
      await store.close();
    }
  });

  it('reads the text forms the same way in a generic mapping', async () => {
    const client = new pg.Client({ connectionString: (database as ThrowawayDatabase).url });
    await client.connect();
    try {
      await client.query('CREATE TABLE text_states (id integer PRIMARY KEY, login text NOT NULL, hash text NOT NULL, locked_until text)');
      await client.query("INSERT INTO text_states VALUES (1, 'ann', $1, 'infinity'), (2, 'ben', $1, '-infinity'), (3, 'cat', $1, '+Infinity')", [identity.hash]);
    } finally {
      await client.end();
    }
    const store = await sqlUserStore({
      dialect: 'postgres',
      connection: (database as ThrowawayDatabase).url,
      registry,
      table: 'text_states',
      mapping: { subjectId: 'id', username: 'login', hash: 'hash', scheme: 'aspnet_identity', states: [{ field: 'locked_until', when: 'future', status: 'locked' }] },
    });
    try {
      expect((await store.verify({ username: 'ann', password: identity.password })).status).toBe('locked');
      expect((await store.verify({ username: 'ben', password: identity.password })).status).toBe('valid');
      expect((await store.verify({ username: 'cat', password: identity.password })).status).toBe('locked');
    } finally {
      await store.close();
    }
  });
});
