/**
 * Bulk listing: `list()` of the SQL store over a generated table of BENCH_USERS users (default 1,000,000) in
 * SQLite and PostgreSQL, against the bare driver reading the same rows by the same keyset pages in the same
 * run. Prints users/s, the ratio, and the peak RSS while listing (sampled every 20 ms); asserts nothing.
 *
 *   npm run bench:stores           (PostgreSQL from LEGACY_IDP_TEST_PG_URL or the local default; skipped when down)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createHashRegistry } from '../src/hashes/registry.js';
import { sqlUserStore, type SqlStoreOptions } from '../src/stores/sql/sql-store.js';

const users = Number(process.env.BENCH_USERS ?? 1_000_000);
const batchSize = Number(process.env.BENCH_BATCH ?? 1_000);
const serverUrl = process.env.LEGACY_IDP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const hash = '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS';

const mapping = {
  subjectId: 'id',
  username: 'username',
  email: 'email',
  hash: 'password_hash',
  displayName: 'display_name',
  states: [{ field: 'disabled', when: 'true', status: 'disabled' }],
} satisfies SqlStoreOptions['mapping'];

/** Peak RSS while `run` goes on, sampled; the process's RSS before it is the baseline. */
async function withPeakRss<T>(run: () => Promise<T>): Promise<{ result: T; peakMb: number; beforeMb: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await run();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakMb: peak / 2 ** 20, beforeMb: before / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

async function timed(run: () => Promise<number>): Promise<{ perSecond: number; count: number; peakMb: number; beforeMb: number }> {
  const started = performance.now();
  const { result: count, peakMb, beforeMb } = await withPeakRss(run);
  return { perSecond: count / ((performance.now() - started) / 1000), count, peakMb, beforeMb };
}

async function listAll(options: SqlStoreOptions): Promise<number> {
  const store = await sqlUserStore(options);
  let count = 0;
  try {
    for await (const profile of store.list({ batchSize })) if (profile.subjectId) count += 1;
  } finally {
    await store.close();
  }
  return count;
}

function report(label: string, store: Awaited<ReturnType<typeof timed>>, raw: Awaited<ReturnType<typeof timed>>): void {
  if (store.count !== users || raw.count !== users) throw new Error(`${label}: listed ${store.count} / ${raw.count} of ${users}`);
  console.log(
    `${label}: store list() ${Math.round(store.perSecond)} users/s, ${(store.perSecond / raw.perSecond).toFixed(2)}x the bare driver (${Math.round(raw.perSecond)}/s); ` +
      `peak RSS ${store.peakMb.toFixed(0)} MB (${store.beforeMb.toFixed(0)} MB before; bare driver ${raw.peakMb.toFixed(0)} MB)`,
  );
}

const registry = createHashRegistry({ workers: false });
console.log(`stores benchmark: ${users} users, list() batches of ${batchSize}; targets >= 50,000 users/s, peak RSS < 256 MB\n`);

// SQLite: a file database, filled in one transaction.
const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-bench-'));
try {
  const file = join(dir, 'users.db');
  const db = new Database(file);
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL, email TEXT, password_hash TEXT, display_name TEXT, disabled INTEGER NOT NULL DEFAULT 0)');
  const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= users; i++) insert.run(i, `user${i}`, `user${i}@example.org`, hash, `User ${i}`, i % 50 === 0 ? 1 : 0);
  })();
  db.close();
  for (let round = 1; round <= 2; round++) {
    const raw = await timed(() => {
      const reader = new Database(file, { readonly: true });
      const page = reader.prepare('SELECT id, username, email, password_hash, display_name, disabled FROM users WHERE id > ? ORDER BY id LIMIT ?');
      let count = 0;
      let after = 0;
      for (;;) {
        const rows = page.all(after, batchSize) as Array<{ id: number }>;
        count += rows.length;
        if (rows.length < batchSize) break;
        after = (rows[rows.length - 1] as { id: number }).id;
      }
      reader.close();
      return Promise.resolve(count);
    });
    const store = await timed(() => listAll({ dialect: 'sqlite', connection: file, table: 'users', mapping, registry }));
    report(`sqlite round ${round}`, store, raw);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// PostgreSQL: a throw-away database filled by generate_series on the server.
const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3_000 });
const available = await admin.connect().then(
  () => true,
  () => false,
);
if (!available) {
  console.log('\npostgres: skipped (no server at LEGACY_IDP_TEST_PG_URL or 127.0.0.1:5432)');
} else {
  const name = `bench_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const connection = url.toString();
  try {
    const filler = new pg.Client({ connectionString: connection });
    await filler.connect();
    await filler.query('CREATE TABLE users (id BIGINT PRIMARY KEY, username TEXT NOT NULL, email TEXT, password_hash TEXT, display_name TEXT, disabled BOOLEAN NOT NULL DEFAULT false)');
    await filler.query(
      `INSERT INTO users SELECT i, 'user' || i, 'user' || i || '@example.org', $1, 'User ' || i, i % 50 = 0 FROM generate_series(1, $2::bigint) AS i`,
      [hash, users],
    );
    await filler.query('VACUUM ANALYZE users');
    await filler.end();
    for (let round = 1; round <= 2; round++) {
      const raw = await timed(async () => {
        const reader = new pg.Client({ connectionString: connection });
        await reader.connect();
        let count = 0;
        let after = '0';
        for (;;) {
          const { rows } = await reader.query<{ id: string }>(
            'SELECT id, username, email, password_hash, display_name, disabled FROM users WHERE id > $1 ORDER BY id LIMIT ' + String(batchSize),
            [after],
          );
          count += rows.length;
          if (rows.length < batchSize) break;
          after = (rows[rows.length - 1] as { id: string }).id;
        }
        await reader.end();
        return count;
      });
      const store = await timed(() => listAll({ dialect: 'postgres', connection, table: 'users', mapping, registry, poolSize: 1 }));
      report(`postgres round ${round}`, store, raw);
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}
await registry.close();
