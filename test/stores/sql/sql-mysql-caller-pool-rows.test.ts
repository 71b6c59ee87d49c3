/**
 * A mysql2 pool the caller made with `rowsAsArray` or `nestTables`: rows came back as arrays or nested by table,
 * the mapping found no column, and every user was `unknown_user` (list() failed with an unrelated key error). The
 * store now asks each statement for rows keyed by column name. On the real MariaDB.
 */
import bcrypt from 'bcryptjs';
import { createPool } from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore } from '../../../src/stores/sql/sql-store.js';
import { createMariadbDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());
const password = 'Rows-Shape-2024';

describeWithService('mariadb', 'sql mariadb: a caller pool with other row shapes', () => {
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createMariadbDatabase();
    const setup = createPool({ uri: database.url, connectionLimit: 1 });
    try {
      await setup.query('CREATE TABLE u (id INT PRIMARY KEY, login VARCHAR(64), email VARCHAR(100), pw VARCHAR(100))');
      await setup.query('INSERT INTO u VALUES (1, ?, ?, ?), (2, ?, ?, ?)', ['ann', 'ann@example.org', bcrypt.hashSync(password, 4), 'bob', 'bob@example.org', bcrypt.hashSync(password, 4)]);
    } finally {
      await setup.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  for (const shape of [{ rowsAsArray: true }, { nestTables: true }] as const) {
    it(`${JSON.stringify(shape)}: sign-in, email match and list() work`, async () => {
      const pool = createPool({ uri: (database as ThrowawayDatabase).url, connectionLimit: 2, ...shape });
      const store = await sqlUserStore({ dialect: 'mysql', client: pool, registry, table: 'u', matchEmail: true, mapping: { subjectId: 'id', username: 'login', email: 'email', hash: 'pw', scheme: 'bcrypt' } });
      try {
        // Before: unknown_user for every one of them.
        expect(await store.verify({ username: 'ann', password })).toMatchObject({ status: 'valid', subjectId: '1' });
        expect(await store.verify({ username: 'bob@example.org', password })).toMatchObject({ status: 'valid', subjectId: '2' });
        expect(await store.verify({ username: 'ann', password: 'wrong' })).toMatchObject({ status: 'invalid' });
        const listed: string[] = [];
        for await (const profile of store.list()) listed.push(`${profile.subjectId}:${profile.username}`);
        expect(listed).toEqual(['1:ann', '2:bob']);
      } finally {
        await store.close();
        await pool.end();
      }
    });
  }
});
