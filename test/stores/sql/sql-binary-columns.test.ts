/**
 * Text kept in binary columns, on the real servers: MediaWiki's schema on MariaDB (user_name VARBINARY,
 * user_password and user_email TINYBLOB) and a bcrypt hash in a PostgreSQL BYTEA. Names and hashes are read
 * as the text they hold; a raw digest stays base64.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore } from '../../../src/stores/sql/sql-store.js';
import { createMariadbDatabase, createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';

const password = 'Correct-Horse-7';
const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

/** MediaWiki before 1.24: `:B:<salt>:md5(salt-md5(password))`. */
const mediawikiB = (salt: string, secret: string): string =>
  `:B:${salt}:${createHash('md5').update(`${salt}-${createHash('md5').update(secret).digest('hex')}`).digest('hex')}`;

describeWithService('mariadb', 'sql mariadb: text in binary columns (MediaWiki schema)', () => {
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createMariadbDatabase();
    const client = await createConnection({ uri: database.url });
    try {
      // The columns of MediaWiki's `user` table that sign-in reads, with their types.
      await client.query(
        "CREATE TABLE mw_user (user_id INT UNSIGNED PRIMARY KEY, user_name VARBINARY(255) NOT NULL, user_real_name VARBINARY(255) NOT NULL DEFAULT '', user_password TINYBLOB NOT NULL, user_email TINYBLOB NOT NULL)",
      );
      const rows: Array<[number, string, string, string, string]> = [
        [1, 'Alice', 'Alice Liddell', bcrypt.hashSync(password, 4), 'Alice@Example.org'],
        [2, 'Élodie', '', mediawikiB('5f3c1a9e', password), 'elodie@example.org'],
      ];
      for (const [id, name, realName, hash, email] of rows) {
        await client.query('INSERT INTO mw_user VALUES (?, ?, ?, ?, ?)', [id, Buffer.from(name), Buffer.from(realName), Buffer.from(hash), Buffer.from(email)]);
      }
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  const store = () =>
    sqlUserStore({
      dialect: 'mysql',
      connection: (database as ThrowawayDatabase).url,
      registry,
      table: 'mw_user',
      matchEmail: true,
      mapping: { subjectId: 'user_id', username: 'user_name', email: 'user_email', hash: 'user_password', displayName: 'user_real_name' },
    });

  it('finds users by a binary name or email in any case and verifies the hash a BLOB holds', async () => {
    const mediawiki = await store();
    try {
      for (const login of ['alice', 'Alice', 'ALICE', 'alice@example.org']) {
        expect((await mediawiki.verify({ username: login, password })).status, login).toBe('valid');
      }
      // Non-ASCII capitals fold too (CONVERT to utf8mb4 before LOWER), and the :B: value verifies.
      expect(await mediawiki.verify({ username: 'ÉLODIE', password })).toMatchObject({ status: 'valid', scheme: 'mediawiki_b' });
      expect(await mediawiki.verify({ username: 'alice', password: `${password}x` })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect(await mediawiki.get('alice')).toMatchObject({ subjectId: '1', username: 'alice', email: 'Alice@Example.org', displayName: 'Alice Liddell' });
      const listed = [];
      for await (const profile of mediawiki.list()) listed.push(profile);
      expect(listed.map((profile) => [profile.username, profile.credential?.hash.slice(0, 4)])).toEqual([
        ['alice', '$2b$'],
        ['élodie', ':B:5'],
      ]);
    } finally {
      await mediawiki.close();
    }
  });
});

describeWithService('postgres', 'sql postgres: text in binary columns', () => {
  let database: ThrowawayDatabase | undefined;
  const digest = createHash('sha256').update(password).digest();
  beforeAll(async () => {
    database = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE users (id INT PRIMARY KEY, username TEXT, hash BYTEA, salt BYTEA)');
      await client.query('INSERT INTO users VALUES (1, $1, $2, NULL), (2, $3, $4, $5)', ['carol', Buffer.from(bcrypt.hashSync(password, 4)), 'raw', digest, Buffer.from([0, 1, 2, 255])]);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('verifies a bcrypt hash kept in BYTEA, by its shape or by the named scheme', async () => {
    for (const scheme of ['auto', 'bcrypt']) {
      const store = await sqlUserStore({
        dialect: 'postgres',
        connection: (database as ThrowawayDatabase).url,
        registry,
        table: 'users',
        mapping: { subjectId: 'id', username: 'username', hash: 'hash', scheme, context: { salt: 'salt' } },
      });
      try {
        expect(await store.verify({ username: 'carol', password }), scheme).toMatchObject({ status: 'valid', scheme: 'bcrypt' });
        // A raw digest is no text: it stays base64, as are binary context values.
        const raw = await store.get('raw');
        expect(raw?.credential?.hash).toBe(digest.toString('base64'));
        expect(raw?.credential?.context?.['salt']).toBe(Buffer.from([0, 1, 2, 255]).toString('base64'));
      } finally {
        await store.close();
      }
    }
  });
});
