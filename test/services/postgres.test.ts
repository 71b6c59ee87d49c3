import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresDatabase, describeWithService, serviceUrls, type ThrowawayDatabase } from '../harness/services.js';

async function databaseExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: serviceUrls().postgres });
  await admin.connect();
  try {
    const result = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return result.rowCount === 1;
  } finally {
    await admin.end();
  }
}

describeWithService('postgres', 'PostgreSQL harness', () => {
  let db: ThrowawayDatabase | undefined;

  afterAll(async () => {
    await db?.drop();
  });

  it('creates a throw-away database, uses it and drops it even with a client still connected', async () => {
    db = await createPostgresDatabase();
    expect(db.name).toMatch(/^test_[0-9a-f]{16}$/);
    expect(await databaseExists(db.name)).toBe(true);

    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined); // the forced drop below terminates this session
    await client.connect();
    const current = await client.query<{ db: string }>('SELECT current_database() AS db');
    expect(current.rows[0]?.db).toBe(db.name);
    await client.query('CREATE TABLE accounts (id serial PRIMARY KEY, username text UNIQUE NOT NULL)');
    await client.query('INSERT INTO accounts (username) VALUES ($1), ($2)', ['alice', 'bob']);
    const selected = await client.query<{ username: string }>('SELECT username FROM accounts ORDER BY id');
    expect(selected.rows.map((row) => row.username)).toEqual(['alice', 'bob']);
    await expect(client.query('INSERT INTO accounts (username) VALUES ($1)', ['alice'])).rejects.toMatchObject({ code: '23505' });

    // drop() uses WITH (FORCE): the open session must not block it.
    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);
  });
});
