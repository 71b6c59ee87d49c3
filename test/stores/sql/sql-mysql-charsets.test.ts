/**
 * Name columns in a character set that cannot hold every login: WordPress installed before 2.2 keeps wp_users in
 * latin1, Drupal 7 and many apps in utf8 (utf8mb3, no emoji). MariaDB refuses to compare such a column with a
 * login holding other characters ("illegal mix of collations", 1267), which the store reported as a backend
 * failure: anyone could make it look down with a Greek login, and those attempts went uncounted. No user can
 * have such a name: it is now no match. Run on the real server.
 */
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { createMariadbDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';
import { hashVector } from './sql-vectors.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const phpass = hashVector('phpass', 'password', '$P$');

/** wp_users as WordPress 2.0 created it under MySQL's old default character set, with a charset per name column. */
const wpUsers = (table: string, loginCharset: string, emailCharset: string): string =>
  `CREATE TABLE ${table} (ID BIGINT(20) UNSIGNED NOT NULL AUTO_INCREMENT, user_login VARCHAR(60) CHARACTER SET ${loginCharset} NOT NULL DEFAULT '', user_pass VARCHAR(64) NOT NULL DEFAULT '',
    user_email VARCHAR(100) CHARACTER SET ${emailCharset} NOT NULL DEFAULT '', display_name VARCHAR(250) NOT NULL DEFAULT '', PRIMARY KEY (ID), KEY user_login_key (user_login)) DEFAULT CHARSET=latin1`;

describeWithService('mariadb', 'sql mariadb: logins a name column cannot hold', () => {
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createMariadbDatabase();
    const client = await createConnection({ uri: database.url, charset: 'utf8mb4' });
    try {
      await client.query(wpUsers('wp_users', 'latin1', 'latin1'));
      await client.query("INSERT INTO wp_users (user_login, user_pass, user_email, display_name) VALUES ('admin', ?, 'admin@example.org', 'Admin'), ('José', ?, 'jose@example.org', 'José')", [phpass.hash, phpass.hash]);
      // A table converted by halves: the login column holds every character, the email column still latin1.
      await client.query(wpUsers('mixed_users', 'utf8mb4', 'latin1'));
      await client.query("INSERT INTO mixed_users (user_login, user_pass, user_email, display_name) VALUES ('Σοφία', ?, 'sofia@example.org', 'Sofia')", [phpass.hash]);
      // utf8mb3 (no emoji) and a character set the store has no table for (greek).
      await client.query("CREATE TABLE mb3_users (id INT PRIMARY KEY, login VARCHAR(60) CHARACTER SET utf8mb3 NOT NULL, hash VARCHAR(64) NOT NULL)");
      await client.query("INSERT INTO mb3_users VALUES (1, 'zoë', ?)", [phpass.hash]);
      await client.query("CREATE TABLE greek_users (id INT PRIMARY KEY, login VARCHAR(60) CHARACTER SET greek NOT NULL, hash VARCHAR(64) NOT NULL)");
      await client.query("INSERT INTO greek_users VALUES (1, 'Σοφία', ?)", [phpass.hash]);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });
  const url = (): string => (database as ThrowawayDatabase).url;

  async function expectOutcomes(options: SqlStoreOptions, outcomes: Record<string, string>): Promise<void> {
    const store = await sqlUserStore(options);
    try {
      for (const [username, status] of Object.entries(outcomes)) {
        expect((await store.verify({ username, password: phpass.password })).status, username).toBe(status);
        if (status === 'unknown_user') expect(await store.get(username), username).toBeNull();
        else expect(await store.get(username), username).not.toBeNull();
      }
    } finally {
      await store.close();
    }
  }

  it('answers unknown_user for a Greek, CJK or emoji login on a latin1 wp_users, and finds latin1 names', async () => {
    await expectOutcomes({ dialect: 'mysql', connection: url(), registry, preset: 'wordpress' }, {
      'Σοφία': 'unknown_user',
      '山田': 'unknown_user',
      'zoë😀': 'unknown_user',
      'σοφία@example.org': 'unknown_user',
      admin: 'valid',
      'josé': 'valid',
      'JOSÉ': 'valid',
      'jose@example.org': 'valid',
    });
  });

  it('still compares the columns that can hold the login', async () => {
    await expectOutcomes({ dialect: 'mysql', connection: url(), registry, preset: { name: 'wordpress', tablePrefix: 'mixed_' } }, { 'σοφία': 'valid', 'ΣΟΦΊΑ': 'valid', 'sofia@example.org': 'valid' });
  });

  it('answers unknown_user for an emoji on utf8mb3, and for a login a greek column cannot hold', async () => {
    const mapping = { subjectId: 'id', username: 'login', hash: 'hash' };
    await expectOutcomes({ dialect: 'mysql', connection: url(), registry, table: 'mb3_users', mapping }, { 'zoë😀': 'unknown_user', 'ZOË': 'valid' });
    await expectOutcomes({ dialect: 'mysql', connection: url(), registry, table: 'greek_users', mapping }, { 'José': 'unknown_user', 'ΣΟΦΊΑ': 'valid', 'σοφία': 'valid' });
  });
});
