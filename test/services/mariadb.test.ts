import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, expect, it } from 'vitest';
import { createMariadbDatabase, describeWithService, serviceUrls, type ThrowawayDatabase } from '../harness/services.js';

interface AccountRow extends RowDataPacket {
  username: string;
}

async function databaseExists(name: string): Promise<boolean> {
  const admin = await createConnection({ uri: serviceUrls().mariadb });
  try {
    const [rows] = await admin.query<RowDataPacket[]>('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
    return rows.length === 1;
  } finally {
    await admin.end();
  }
}

describeWithService('mariadb', 'MariaDB harness', () => {
  let db: ThrowawayDatabase | undefined;

  afterAll(async () => {
    await db?.drop();
  });

  it('creates a throw-away database, uses it and drops it', async () => {
    db = await createMariadbDatabase();
    expect(db.name).toMatch(/^test_[0-9a-f]{16}$/);
    expect(await databaseExists(db.name)).toBe(true);

    const connection = await createConnection({ uri: db.url });
    try {
      const [current] = await connection.query<RowDataPacket[]>('SELECT DATABASE() AS db');
      expect(current[0]?.db).toBe(db.name);
      await connection.query('CREATE TABLE accounts (id INT AUTO_INCREMENT PRIMARY KEY, username VARCHAR(64) NOT NULL UNIQUE)');
      await connection.execute('INSERT INTO accounts (username) VALUES (?), (?)', ['alice', 'bob']);
      const [rows] = await connection.execute<AccountRow[]>('SELECT username FROM accounts ORDER BY id');
      expect(rows.map((row) => row.username)).toEqual(['alice', 'bob']);
      await expect(connection.execute('INSERT INTO accounts (username) VALUES (?)', ['alice'])).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    } finally {
      await connection.end();
    }

    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
  });
});
