import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileSource } from '../../src/core/contracts.js';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { openCheckpoint } from '../../src/premigrate/checkpoint.js';
import { runPremigration } from '../../src/premigrate/engine.js';
import { jsonlSink } from '../../src/premigrate/jsonl-sink.js';
import { createMapper } from '../../src/premigrate/mapping.js';
import { sqlUserStore } from '../../src/stores/sql/sql-store.js';
import { createHashRegistry } from '../../src/hashes/registry.js';

/**
 * The journal file itself: one run at a time (a second opener, in this process or another, is refused), and
 * only a journal is used as one (random bytes, a foreign SQLite database such as the legacy store itself, a
 * table that merely has the name are refused untouched; a journal of the first version is taken and stamped).
 */

let dir: string;
let counter = 0;
const registry = createHashRegistry({ workers: false });
const checkpointModule = resolve('src/premigrate/checkpoint.ts');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'legacy-idp-journal-file-'));
});
afterAll(async () => {
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

const fresh = (name: string): string => join(dir, `${name}-${++counter}.db`);

async function refusal(path: string): Promise<{ code: string; message: string }> {
  const error = await openCheckpoint(path).then(
    (checkpoint) => {
      checkpoint.close();
      return undefined;
    },
    (caught: unknown) => caught,
  );
  if (!isLegacyIdpError(error)) throw new Error(`expected a LegacyIdpError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

/** A child process that opens the journal, says what happened, and holds it until its stdin closes. */
function childOpening(path: string): { said: Promise<string>; release: () => Promise<void> } {
  const script = `
    import { openCheckpoint } from ${JSON.stringify(checkpointModule)};
    try {
      const checkpoint = await openCheckpoint(${JSON.stringify(path)});
      process.stdout.write('opened\\n');
      process.stdin.resume();
      process.stdin.on('end', () => { checkpoint.close(); process.exit(0); });
    } catch (error) {
      process.stdout.write(error.code + ' ' + error.message + '\\n');
      process.exit(0);
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const said = new Promise<string>((resolveSaid, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolveSaid(out.trim());
    });
    child.on('error', reject);
    child.on('exit', () => {
      resolveSaid(out.trim());
    });
  });
  const exited = new Promise<void>((resolveExit) => {
    child.on('exit', () => {
      resolveExit();
    });
  });
  return {
    said,
    release: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

describe('one run per journal', () => {
  it('refuses a second opener in the same process while the first holds the journal, and lets it in after close', async () => {
    const path = fresh('lock');
    const first = await openCheckpoint(path);
    try {
      const second = await refusal(path);
      expect(second.code).toBe('ERR_LEGACY_IDP_CONFIG_FILE');
      expect(second.message).toMatch(/in use by another run/u);
      first.setCursor('7'); // the holder still works
    } finally {
      first.close();
    }
    const again = await openCheckpoint(path);
    expect(again.cursor()).toBe('7');
    again.close();
  });

  it('refuses another process while this one holds the journal, and this one while another process holds it', async () => {
    const path = fresh('lock-process');
    const held = await openCheckpoint(path);
    const refused = childOpening(path);
    try {
      expect(await refused.said).toMatch(/^ERR_LEGACY_IDP_CONFIG_FILE .*in use by another run/u);
    } finally {
      await refused.release();
      held.close();
    }

    const holder = childOpening(path);
    try {
      expect(await holder.said).toBe('opened');
      expect((await refusal(path)).message).toMatch(/in use by another run/u);
    } finally {
      await holder.release();
    }
    (await openCheckpoint(path)).close();
  });

  it('two runs started together on one journal and one JSONL file: one is refused, the file holds each user once', async () => {
    const legacyPath = fresh('legacy');
    const db = new Database(legacyPath);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, hash TEXT)');
    const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= 3000; i++) insert.run(i, `user${i}@legacy.example`, '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS');
    })();
    db.close();
    const journal = fresh('journal');
    const out = join(dir, `out-${counter}.jsonl`);
    const map = createMapper({ tenant: 'contoso.onmicrosoft.com', passwords: { requiresMigrationAttribute: false } });
    const oneRun = async (): Promise<number> => {
      const checkpoint = await openCheckpoint(journal);
      const store: ProfileSource = await sqlUserStore({ dialect: 'sqlite', connection: legacyPath, table: 'users', registry, mapping: { subjectId: 'id', username: 'email', email: 'email', hash: 'hash' } });
      const sink = jsonlSink({ path: out, append: true });
      try {
        return (await runPremigration({ source: store, map, sink, checkpoint })).created;
      } finally {
        await sink.close();
        await store.close?.();
        checkpoint.close();
      }
    };
    const results = await Promise.allSettled([oneRun(), oneRun()]);
    expect(results.filter((result) => result.status === 'fulfilled').map((result) => result.value)).toEqual([3000]);
    const rejected = results.find((result) => result.status === 'rejected');
    expect(String(rejected?.reason)).toMatch(/in use by another run/u);
    const subjects = readFileSync(out, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { subjectId: string }).subjectId);
    expect(subjects).toHaveLength(3000);
    expect(new Set(subjects).size).toBe(3000);
  });
});

describe('only a journal is used as one', () => {
  it('refuses random bytes with ERR_LEGACY_IDP_CONFIG_FILE', async () => {
    const path = fresh('random');
    writeFileSync(path, randomBytes(4096));
    expect(await refusal(path)).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE', message: expect.stringMatching(/not a usable pre-migration journal/u) as unknown });
  });

  it('refuses a foreign SQLite database (the legacy store given as --journal) and leaves it byte for byte as it was', async () => {
    const path = fresh('foreign');
    const db = new Database(path);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'a@legacy.example')");
    db.close();
    const before = readFileSync(path);
    expect(await refusal(path)).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE', message: expect.stringMatching(/not a pre-migration journal \(it holds the tables users\)/u) as unknown });
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a database whose `journal` table is something else', async () => {
    const path = fresh('conflict');
    const db = new Database(path);
    db.exec('CREATE TABLE journal (x TEXT)');
    db.close();
    expect((await refusal(path)).code).toBe('ERR_LEGACY_IDP_CONFIG_FILE');
  });

  it('takes a journal of the first version (no format row, no written_back column), stamps it, and keeps its rows', async () => {
    const path = fresh('first-version');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE journal (
        subject_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('sending', 'created', 'existed', 'failed')),
        object_id TEXT, code TEXT, reason TEXT, retryable INTEGER,
        sign_in_type TEXT, issuer TEXT, issuer_assigned_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX journal_status ON journal (status);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE inflight (batch_id INTEGER PRIMARY KEY, items TEXT NOT NULL);
      INSERT INTO journal (subject_id, status, object_id, updated_at) VALUES ('1', 'created', 'object-1', '2025-01-01T00:00:00Z');
      INSERT INTO meta VALUES ('cursor', '1');
    `);
    db.close();
    const checkpoint = await openCheckpoint(path);
    try {
      expect(checkpoint.entry('1')).toMatchObject({ status: 'created', objectId: 'object-1', writtenBack: false });
      expect(checkpoint.cursor()).toBe('1');
      expect(checkpoint.meta('format')).toMatch(/^legacy-idp premigrate journal \d+$/u);
      // Nothing says whether the first version wrote it back: it is pending.
      expect(checkpoint.writeBackPending(undefined, 10)).toEqual([{ subjectId: '1', objectId: 'object-1' }]);
      checkpoint.markWrittenBack(['1']);
      expect(checkpoint.writeBackPendingCount()).toBe(0);
    } finally {
      checkpoint.close();
    }
    const reopened = await openCheckpoint(path);
    expect(reopened.entry('1')?.writtenBack).toBe(true);
    reopened.close();
  });
});
