/**
 * Write-back details on the real servers: the migration time is UTC whatever the process's zone (mysql2 and pg
 * wrote a Date in local time, which a DATETIME / timestamp column keeps as wall time); a subject id that is not
 * exactly a key's text marks nothing (MySQL compares '1abc' with an integer key as 1); a scheme column without a
 * hash column is refused when the store is built (every write-back would have been a no-op).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore } from '../../../src/stores/sql/sql-store.js';
import { createMariadbDatabase, createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';
import { fixtureStatements, fixtureStoreOptions } from './sql-fixture.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

/** Runs `body` with the process in Asia/Tokyo (UTC+9, no daylight saving time). */
async function inTokyo(body: () => Promise<void>): Promise<void> {
  const previous = process.env['TZ'];
  process.env['TZ'] = 'Asia/Tokyo';
  try {
    expect(new Date().getTimezoneOffset()).toBe(-540);
    await body();
  } finally {
    if (previous === undefined) delete process.env['TZ'];
    else process.env['TZ'] = previous;
  }
}

/** Milliseconds between a zone-less text time read as UTC and now. */
const secondsFromNow = (text: string): number => Math.abs(Date.parse(`${text.replace(' ', 'T')}Z`) - Date.now()) / 1000;

const mapping = { subjectId: 'ID', username: 'user_login', hash: 'user_pass' };

describeWithService('mariadb', 'sql mariadb: write-back', () => {
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createMariadbDatabase();
    const client = await createConnection({ uri: database.url });
    try {
      await client.query(
        "CREATE TABLE wp_users (ID BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, user_login VARCHAR(60) NOT NULL DEFAULT '', user_pass VARCHAR(255) NOT NULL DEFAULT '', legacy_migrated TINYINT(1) NOT NULL DEFAULT 0, legacy_migrated_at DATETIME(3) NULL, legacy_object_id VARCHAR(64) NULL)",
      );
      for (let id = 1; id <= 13; id++) await client.query('INSERT INTO wp_users (user_login, user_pass) VALUES (?, ?)', [`user${id}`, '$P$Bnothing-to-verify']);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });
  const marked = async (): Promise<Array<{ ID: number; at: string; object: string }>> => {
    const client = await createConnection({ uri: (database as ThrowawayDatabase).url });
    try {
      const [rows] = await client.query('SELECT ID, CAST(legacy_migrated_at AS CHAR) AS at, legacy_object_id AS object FROM wp_users WHERE legacy_migrated = 1 ORDER BY ID');
      return rows as Array<{ ID: number; at: string; object: string }>;
    } finally {
      await client.end();
    }
  };

  it('marks only the row whose key is exactly the subject id, at the UTC time', async () => {
    await inTokyo(async () => {
      const store = await sqlUserStore({
        dialect: 'mysql',
        connection: (database as ThrowawayDatabase).url,
        registry,
        table: 'wp_users',
        mapping,
        writeBack: { migratedFlagColumn: 'legacy_migrated', migratedAtColumn: 'legacy_migrated_at', objectIdColumn: 'legacy_object_id' },
      });
      try {
        for (const notAKey of ['1abc', ' 12', '12.0', '1e1', '+3', '013']) {
          expect(await store.markMigrated?.(notAKey, { objectId: `obj-${notAKey}` }), notAKey).toBe(false);
        }
        expect(await store.markMigrated?.('99', { objectId: 'obj-99' })).toBe(false);
        expect(await store.markMigrated?.('12', { objectId: 'obj-12' })).toBe(true);
      } finally {
        await store.close();
      }
    });
    const rows = await marked();
    expect(rows.map((row) => [row.ID, row.object])).toEqual([[12, 'obj-12']]);
    // Written as UTC, not as Tokyo's wall time nine hours ahead.
    expect(secondsFromNow(rows[0]?.at ?? '')).toBeLessThan(120);
  });
});

describeWithService('postgres', 'sql postgres: write-back', () => {
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const statement of fixtureStatements('postgres')) await client.query(statement);
      await client.query('ALTER TABLE legacy_users ADD COLUMN migrated_stamp timestamp without time zone, ADD COLUMN migrated_stamptz timestamp with time zone');
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('writes the migration time as UTC into timestamp and timestamptz columns', async () => {
    for (const column of ['migrated_stamp', 'migrated_stamptz']) {
      await inTokyo(async () => {
        const store = await sqlUserStore({
          dialect: 'postgres',
          connection: (database as ThrowawayDatabase).url,
          registry,
          ...fixtureStoreOptions,
          writeBack: { migratedAtColumn: column, objectIdColumn: 'new_object_id' },
        });
        try {
          expect(await store.markMigrated?.('10', { objectId: `obj-${column}` })).toBe(true);
        } finally {
          await store.close();
        }
      });
      const client = new pg.Client({ connectionString: (database as ThrowawayDatabase).url });
      await client.connect();
      try {
        const { rows } = await client.query<{ seconds: string }>(`SELECT abs(extract(epoch FROM (${column}::timestamp - (now() AT TIME ZONE 'utc')))) AS seconds FROM legacy_users WHERE id = 10`);
        expect(Number(rows[0]?.seconds), column).toBeLessThan(120);
      } finally {
        await client.end();
      }
    }
  });
});

describe('sql store options: write-back', () => {
  it('refuses a scheme column without a hash column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-writeback-'));
    try {
      const file = join(dir, 'users.db');
      const db = new Database(file);
      for (const statement of fixtureStatements('sqlite')) db.exec(statement);
      db.close();
      const error = await sqlUserStore({ dialect: 'sqlite', connection: file, registry, ...fixtureStoreOptions, writeBack: { schemeColumn: 'display_name' } }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LegacyIdpError);
      expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'writeBack.schemeColumn' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
