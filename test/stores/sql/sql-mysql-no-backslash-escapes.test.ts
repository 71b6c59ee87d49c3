/**
 * MySQL/MariaDB sessions whose sql_mode holds NO_BACKSLASH_ESCAPES (set in my.cnf by some hosts, or per session
 * by an application sharing the pool). mysql2's `query` with values escapes a quote as `\'` on the client; such a
 * session reads the backslash as a character and the quote as the end of the literal, so a login could rewrite
 * the lookup and sign in as the WordPress admin with a password of its own. The store now sends every value as a
 * parameter of a server-side prepared statement. Run on the real server with a pool the caller made, whose every
 * connection sets the mode when it opens.
 */
import bcrypt from 'bcryptjs';
import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { injectionUsernames } from '../../../src/testing/conformance.js';
import { sqlUserStore } from '../../../src/stores/sql/sql-store.js';
import { createMariadbDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';
import { describeStoreConformance, fixtureUsers } from '../fixture-conformance.js';
import { fixtureStatements, fixtureStoreOptions } from './sql-fixture.js';
import { hashVector } from './sql-vectors.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const admin = hashVector('phpass', 'password', '$P$');
/** A hash whose password the attacker chose. */
const attackerPassword = 'Attacker-Chosen-1';
const attackerHash = bcrypt.hashSync(attackerPassword, 4);
const hex = (text: string): string => `0x${Buffer.from(text).toString('hex')}`;
/**
 * Ends the login's literal inside the lookup's CASE, closes the statement's own FROM/WHERE with a condition that
 * is never true, and UNIONs a row of its own: the admin's id and name with the attacker's hash. `#` comments out
 * the rest.
 */
const takeover = `' then 1 else 1 end as legacy_idp_by_username from (select *, user_pass as user_pass_scheme from wp_users) z where 1=0 union select 1, ${hex('admin')}, ${hex(attackerHash)}, ${hex('admin@example.org')}, null, ${hex('Site Admin')}, 1 #`;

describeWithService('mariadb', 'sql mariadb: sessions with NO_BACKSLASH_ESCAPES', () => {
  let database: ThrowawayDatabase | undefined;
  let pool: Pool | undefined;
  beforeAll(async () => {
    database = await createMariadbDatabase();
    const setup = createPool({ uri: database.url, connectionLimit: 1 });
    try {
      for (const statement of fixtureStatements('mysql')) await setup.query(statement);
      await setup.query(
        "CREATE TABLE wp_users (ID BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, user_login VARCHAR(60) NOT NULL DEFAULT '', user_pass VARCHAR(255) NOT NULL DEFAULT '', user_email VARCHAR(100) NOT NULL DEFAULT '', display_name VARCHAR(250) NOT NULL DEFAULT '') DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci",
      );
      await setup.query("INSERT INTO wp_users (user_login, user_pass, user_email, display_name) VALUES ('admin', ?, 'admin@example.org', 'Site Admin')", [admin.hash]);
    } finally {
      await setup.end();
    }
    // Every connection of the caller's pool turns the mode on as it opens, before the store's first statement.
    pool = createPool({ uri: database.url, connectionLimit: 2 });
    pool.pool.on('connection', (connection) => {
      connection.query("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
    });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });
  const client = (): Pool => {
    if (!pool) throw new Error('pool not ready');
    return pool;
  };

  it('runs on sessions that really have the mode', async () => {
    const [rows] = await client().query('SELECT @@session.sql_mode AS mode');
    expect(String((rows as Array<{ mode: string }>)[0]?.mode)).toContain('NO_BACKSLASH_ESCAPES');
  });

  it('never signs in as the WordPress admin through a login that ends its literal', async () => {
    const store = await sqlUserStore({ dialect: 'mysql', client: client(), registry, preset: 'wordpress' });
    try {
      expect((await store.verify({ username: 'admin', password: admin.password })).status).toBe('valid');
      expect(await store.verify({ username: takeover, password: attackerPassword })).toEqual({ status: 'unknown_user' });
      expect(await store.get(takeover)).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('survives the injection corpus with no match and the table intact', async () => {
    const store = await sqlUserStore({ dialect: 'mysql', client: client(), registry, ...fixtureStoreOptions });
    try {
      for (const username of injectionUsernames('alice')) {
        expect((await store.verify({ username, password: fixtureUsers.valid.password })).status, username).toBe('unknown_user');
        expect(await store.get(username), username).toBeNull();
      }
      const [rows] = await client().query('SELECT COUNT(*) AS n FROM legacy_users');
      expect(Number((rows as Array<{ n: number }>)[0]?.n)).toBe(4);
    } finally {
      await store.close();
    }
  });

  // The whole conformance suite (injection cases included) on the caller's pool: the normal cases still hold.
  describeStoreConformance('sql mariadb NO_BACKSLASH_ESCAPES', () => sqlUserStore({ dialect: 'mysql', client: client(), registry, ...fixtureStoreOptions }));
});

describe('sql store options: a mysql client', () => {
  it('refuses a client without execute(): values go only to prepared statements', async () => {
    const queryOnly = { query: () => Promise.resolve([[], []]) };
    const error = await sqlUserStore({ dialect: 'mysql', client: queryOnly, registry, ...fixtureStoreOptions }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LegacyIdpError);
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'client' });
  });
});
