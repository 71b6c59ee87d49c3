/**
 * Zone-less dates (PostgreSQL `timestamp without time zone` and `date`, MySQL DATETIME) hold UTC as Rails, Django
 * and EF Core write them, and the docs say the store reads them so. pg's default parser and a mysql2 client
 * without `dateStrings` read them in the process's local zone instead: under TZ=Asia/Tokyo a Devise lock 30
 * minutes old read as 9.5 hours old (expired: the lockout bypassed), under America/Los_Angeles a lock 90 minutes
 * old still locked. Node applies a change of process.env.TZ at once; each test restores it.
 */
import bcrypt from 'bcryptjs';
import { createPool } from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { createMariadbDatabase, createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../../harness/services.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const password = 'Devise-Lock-2024';
const hash = bcrypt.hashSync(password, 4);

/** Runs `body` with the process in `zone`, and checks that Node really moved there. */
async function inZone(zone: string, expectedOffsetMinutes: number, body: () => Promise<void>): Promise<void> {
  const previous = process.env['TZ'];
  process.env['TZ'] = zone;
  try {
    // January: no daylight saving time in either zone's offset used here.
    expect(new Date('2024-01-15T12:00:00Z').getTimezoneOffset()).toBe(expectedOffsetMinutes);
    await body();
  } finally {
    if (previous === undefined) delete process.env['TZ'];
    else process.env['TZ'] = previous;
  }
}

const zones: Array<[string, number]> = [
  ['Asia/Tokyo', -540],
  ['America/Los_Angeles', 480],
];

async function expectDeviseLocks(options: SqlStoreOptions): Promise<void> {
  const store = await sqlUserStore(options);
  try {
    // Devise's default unlock_in is one hour.
    expect((await store.verify({ username: 'locked30@example.org', password })).status).toBe('locked');
    expect((await store.verify({ username: 'expired90@example.org', password })).status).toBe('valid');
  } finally {
    await store.close();
  }
}

describeWithService('postgres', 'sql postgres: timestamp without time zone is UTC in any process zone', () => {
  let database: ThrowawayDatabase | undefined;
  let createdAt = '';
  beforeAll(async () => {
    database = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      // Devise's migration on PostgreSQL (Rails 7: timestamp(6) without time zone), written in UTC as Rails does.
      await client.query(`CREATE TABLE users (id bigserial PRIMARY KEY, email character varying DEFAULT '' NOT NULL, encrypted_password character varying DEFAULT '' NOT NULL,
        failed_attempts integer DEFAULT 0 NOT NULL, unlock_token character varying, locked_at timestamp(6) without time zone,
        created_at timestamp(6) without time zone NOT NULL, updated_at timestamp(6) without time zone NOT NULL)`);
      await client.query(
        `INSERT INTO users (email, encrypted_password, failed_attempts, locked_at, created_at, updated_at) VALUES
          ('locked30@example.org', $1, 20, (now() AT TIME ZONE 'utc') - interval '30 minutes', '2024-05-01 10:00:00.123456', now() AT TIME ZONE 'utc'),
          ('expired90@example.org', $1, 20, (now() AT TIME ZONE 'utc') - interval '90 minutes', now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')`,
        [hash],
      );
      await client.query("CREATE TABLE accounts (id integer PRIMARY KEY, login text NOT NULL, hash text NOT NULL, expires_on date NOT NULL)");
      await client.query("INSERT INTO accounts VALUES (1, 'carol', $1, '2030-01-01')", [hash]);
      createdAt = '2024-05-01T10:00:00.123Z';
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  for (const [zone, offset] of zones) {
    it(`keeps a Devise lock for unlock_in and reads created_at as UTC under TZ=${zone}`, async () => {
      await inZone(zone, offset, async () => {
        const options: SqlStoreOptions = { dialect: 'postgres', connection: (database as ThrowawayDatabase).url, registry, preset: { name: 'devise', lockable: true } };
        await expectDeviseLocks(options);
        const store = await sqlUserStore(options);
        try {
          expect((await store.get('locked30@example.org'))?.attributes['createdAt']).toBe(createdAt);
        } finally {
          await store.close();
        }
        // A `date` is UTC midnight, not local midnight.
        const accounts = await sqlUserStore({
          dialect: 'postgres',
          connection: (database as ThrowawayDatabase).url,
          registry,
          table: 'accounts',
          mapping: { subjectId: 'id', username: 'login', hash: 'hash', attributes: { expiresOn: 'expires_on' } },
        });
        try {
          expect((await accounts.get('carol'))?.attributes['expiresOn']).toBe('2030-01-01T00:00:00.000Z');
        } finally {
          await accounts.close();
        }
      });
    });
  }

  it("leaves the caller's pg parsers alone", async () => {
    await inZone('Asia/Tokyo', -540, async () => {
      const pool = new pg.Pool({ connectionString: (database as ThrowawayDatabase).url, max: 1 });
      try {
        const store = await sqlUserStore({ dialect: 'postgres', client: pool, registry, preset: { name: 'devise', lockable: true } });
        try {
          expect((await store.verify({ username: 'locked30@example.org', password })).status).toBe('locked');
        } finally {
          await store.close();
        }
        // The caller's own query still gets pg's global (local-zone) reading.
        const { rows } = await pool.query<{ t: Date }>("SELECT '2024-05-01 10:00:00'::timestamp AS t");
        expect(rows[0]?.t.toISOString()).toBe('2024-05-01T01:00:00.000Z');
      } finally {
        await pool.end();
      }
    });
  });
});

describeWithService('mariadb', 'sql mariadb: DATETIME is UTC through a caller pool without dateStrings', () => {
  let database: ThrowawayDatabase | undefined;
  beforeAll(async () => {
    database = await createMariadbDatabase();
    const setup = createPool({ uri: database.url, connectionLimit: 1 });
    try {
      await setup.query(`CREATE TABLE users (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NOT NULL DEFAULT '', encrypted_password VARCHAR(255) NOT NULL DEFAULT '',
        failed_attempts INT NOT NULL DEFAULT 0, locked_at DATETIME(6) NULL, created_at DATETIME(6) NOT NULL, updated_at DATETIME(6) NOT NULL)`);
      await setup.query(
        `INSERT INTO users (email, encrypted_password, failed_attempts, locked_at, created_at, updated_at) VALUES
          ('locked30@example.org', ?, 20, UTC_TIMESTAMP(6) - INTERVAL 30 MINUTE, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
          ('expired90@example.org', ?, 20, UTC_TIMESTAMP(6) - INTERVAL 90 MINUTE, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))`,
        [hash, hash],
      );
    } finally {
      await setup.end();
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  for (const [zone, offset] of zones) {
    it(`keeps a Devise lock for unlock_in under TZ=${zone}`, async () => {
      await inZone(zone, offset, async () => {
        // mysql2's defaults: DATETIME as a Date in the local zone.
        const pool = createPool({ uri: (database as ThrowawayDatabase).url, connectionLimit: 1 });
        try {
          await expectDeviseLocks({ dialect: 'mysql', client: pool, registry, preset: { name: 'devise', lockable: true } });
        } finally {
          await pool.end();
        }
        // The store's own pool as before.
        await expectDeviseLocks({ dialect: 'mysql', connection: (database as ThrowawayDatabase).url, registry, preset: { name: 'devise', lockable: true } });
      });
    });
  }
});
