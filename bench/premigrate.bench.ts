/**
 * Bulk pre-migration to a JSONL file: `runPremigration` (mapping, generated CSPRNG passwords, the JSONL sink,
 * the SQLite checkpoint journal) over BENCH_USERS generated users (default 1,000,000) in SQLite and
 * PostgreSQL, against a bare `list()` of the same store in the same run. Prints users/s, the ratio, and the
 * peak RSS while migrating; asserts nothing. The Graph sink's pacing is measured by
 * bench/premigrate-graph.bench.ts.
 *
 *   npm run bench:premigrate
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createHashRegistry } from '../src/hashes/registry.js';
import { openCheckpoint } from '../src/premigrate/checkpoint.js';
import { runPremigration } from '../src/premigrate/engine.js';
import { jsonlSink } from '../src/premigrate/jsonl-sink.js';
import { createMapper } from '../src/premigrate/mapping.js';
import { sqlUserStore, type SqlStoreOptions } from '../src/stores/sql/sql-store.js';

const users = Number(process.env.BENCH_USERS ?? 1_000_000);
const serverUrl = process.env.LEGACY_IDP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const hash = '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS';
const mapping = { subjectId: 'id', username: 'email', email: 'email', hash: 'password_hash', displayName: 'display_name' } satisfies SqlStoreOptions['mapping'];
const registry = createHashRegistry({ workers: false });

async function measure(run: () => Promise<number>): Promise<{ perSecond: number; count: number; peakMb: number }> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  try {
    const count = await run();
    return { perSecond: count / ((performance.now() - started) / 1000), count, peakMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

async function bareList(options: SqlStoreOptions): Promise<number> {
  const store = await sqlUserStore(options);
  let count = 0;
  for await (const _profile of store.list()) count += 1;
  await store.close();
  return count;
}

async function migrateToJsonl(options: SqlStoreOptions, dir: string, label: string, round: number): Promise<number> {
  const store = await sqlUserStore(options);
  const sink = jsonlSink({ path: join(dir, `out-${label}-${round}.jsonl`) });
  const checkpoint = await openCheckpoint(join(dir, `journal-${label}-${round}.db`));
  try {
    const summary = await runPremigration({
      source: store,
      map: createMapper({ tenant: 'contoso.onmicrosoft.com', passwords: { requiresMigrationAttribute: false } }),
      sink,
      checkpoint,
    });
    return summary.created;
  } finally {
    await sink.close();
    checkpoint.close();
    await store.close();
  }
}

async function rounds(label: string, options: SqlStoreOptions, dir: string): Promise<void> {
  for (let round = 1; round <= 2; round++) {
    const bare = await measure(() => bareList(options));
    const migrated = await measure(() => migrateToJsonl(options, dir, label, round));
    if (migrated.count !== users || bare.count !== users) throw new Error(`${label}: ${migrated.count} / ${bare.count} of ${users}`);
    const size = statSync(join(dir, `out-${label}-${round}.jsonl`)).size / 2 ** 20;
    console.log(
      `${label} round ${round}: premigrate to JSONL ${Math.round(migrated.perSecond)} users/s, ${(migrated.perSecond / bare.perSecond).toFixed(2)}x a bare list() (${Math.round(bare.perSecond)}/s); ` +
        `peak RSS ${migrated.peakMb.toFixed(0)} MB (bare list ${bare.peakMb.toFixed(0)} MB); ${size.toFixed(0)} MB of JSONL`,
    );
    rmSync(join(dir, `out-${label}-${round}.jsonl`), { force: true });
  }
}

console.log(`premigrate benchmark: ${users} users to a JSONL file with the checkpoint journal; targets >= 50,000 users/s, peak RSS < 256 MB\n`);
const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-bench-premigrate-'));
try {
  const file = join(dir, 'users.db');
  // Filled by a child process, so the fill's memory is not in this process's RSS.
  execFileSync(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
       db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, password_hash TEXT, display_name TEXT)');
       const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?)');
       db.transaction(() => { for (let i = 1; i <= Number(process.argv[2]); i++) insert.run(i, 'user' + i + '@legacy.example', process.argv[3], 'User ' + i); })();
       db.close();`,
      file,
      String(users),
      hash,
    ],
    { stdio: 'inherit' },
  );
  await rounds('sqlite', { dialect: 'sqlite', connection: file, table: 'users', mapping, registry }, dir);

  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3_000 });
  if (!(await admin.connect().then(() => true, () => false))) {
    console.log('\npostgres: skipped (no server at LEGACY_IDP_TEST_PG_URL or 127.0.0.1:5432)');
  } else {
    const name = `bench_premigrate_${process.pid}`;
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    try {
      const filler = new pg.Client({ connectionString: url.toString() });
      await filler.connect();
      await filler.query('CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL, password_hash TEXT, display_name TEXT)');
      await filler.query(`INSERT INTO users SELECT i, 'user' || i || '@legacy.example', $1, 'User ' || i FROM generate_series(1, $2::bigint) AS i`, [hash, users]);
      await filler.query('VACUUM ANALYZE users');
      await filler.end();
      await rounds('postgres', { dialect: 'postgres', connection: url.toString(), table: 'users', mapping, registry, poolSize: 1 }, dir);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await registry.close();
}
