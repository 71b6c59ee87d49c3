import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationWriteBack, ProfileSource, UserStore } from '../../src/core/contracts.js';
import { createGraphClient, type GraphClient } from '../../src/graph/client.js';
import { buildLocalAccountUser, generateCompliantPassword } from '../../src/graph/index.js';
import { createHashRegistry } from '../../src/hashes/registry.js';
import { openCheckpoint, type Checkpoint } from '../../src/premigrate/checkpoint.js';
import { runPremigration, type PremigrateRunOptions, type PremigrateSummary } from '../../src/premigrate/engine.js';
import { graphSink } from '../../src/premigrate/graph-sink.js';
import { createMapper } from '../../src/premigrate/mapping.js';
import { writeReport } from '../../src/premigrate/report.js';
import type { MigrationSink } from '../../src/premigrate/types.js';
import { sqlUserStore } from '../../src/stores/sql/sql-store.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { emulatorEndpoints } from '../graph/helpers.js';

/**
 * The journal keeps every legacy user accounted for across runs that stop early: a --retry-failed run cut
 * short, a crash between the directory's create and the journal's record, a kill before the write-back, and
 * legacy accounts whose sign-in names the directory treats as one. The source is a real SQLite legacy table
 * (read through the SQL store, written back through it), the directory the Graph emulator.
 */

const registry = createHashRegistry({ workers: false });
const extensionAppId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const hash = '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS';
let emulator: GraphEmulator;
let graph: GraphClient;
let dir: string;
let counter = 0;

beforeAll(async () => {
  emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com' });
  graph = createGraphClient({ ...emulatorEndpoints(emulator), backoffBaseMs: 10, backoffMaxMs: 50 });
  dir = mkdtempSync(join(tmpdir(), 'legacy-idp-journal-safety-'));
});
afterAll(async () => {
  await emulator.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

const map = createMapper({ tenant: 'contoso.onmicrosoft.com', extensionAppId });

interface Legacy {
  path: string;
  store: UserStore & MigrationWriteBack;
  emails: string[];
  db: Database.Database;
}

/** A legacy SQLite table of `emails` (ids 1..n) with write-back columns, and a store over it. */
async function legacyTable(emails: string[]): Promise<Legacy> {
  const path = join(dir, `legacy-${++counter}.db`);
  const db = new Database(path);
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, hash TEXT, scheme TEXT, migrated INTEGER, new_object_id TEXT)');
  const insert = db.prepare('INSERT INTO users (id, email, name, hash, scheme) VALUES (?, ?, ?, ?, ?)');
  emails.forEach((email, index) => insert.run(index + 1, email, `User ${index + 1}`, hash, 'bcrypt'));
  const store = (await sqlUserStore({
    dialect: 'sqlite',
    connection: path,
    table: 'users',
    registry,
    mapping: { subjectId: 'id', username: 'email', email: 'email', hash: 'hash', schemeField: 'scheme', displayName: 'name' },
    writeBack: { migratedFlagColumn: 'migrated', objectIdColumn: 'new_object_id' },
  })) as UserStore & MigrationWriteBack;
  return { path, store, emails, db };
}

const uniqueEmails = (count: number): string[] => {
  const run = ++counter;
  return Array.from({ length: count }, (_, index) => `r${run}-user${index + 1}@legacy.example`);
};

/** The source, with the operator pressing Ctrl-C once `stopAfter` users were read. */
function stoppingAfter(store: ProfileSource, stopAfter: number, controller: AbortController): ProfileSource {
  return {
    ...store,
    name: store.name,
    get: (username) => store.get(username),
    async *list(options = {}) {
      let read = 0;
      for await (const profile of store.list(options)) {
        if (++read > stopAfter) {
          controller.abort(new Error('Ctrl-C'));
          controller.signal.throwIfAborted();
        }
        yield profile;
      }
    },
  };
}

async function run(
  journal: string,
  options: Partial<PremigrateRunOptions> & { source: ProfileSource; sinkOf?: (real: MigrationSink) => MigrationSink },
): Promise<PremigrateSummary | Error> {
  const checkpoint = await openCheckpoint(journal);
  const real = graphSink({ graph });
  const { sinkOf, ...rest } = options;
  try {
    return await runPremigration({ map, sink: sinkOf ? sinkOf(real) : real, checkpoint, concurrency: 1, ...rest });
  } catch (error) {
    return error as Error;
  } finally {
    await real.close();
    checkpoint.close();
  }
}

function inDirectory(email: string): { id: string } | undefined {
  return [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId.toLowerCase() === email.toLowerCase()));
}

async function withJournal<T>(journal: string, read: (checkpoint: Checkpoint) => T | Promise<T>): Promise<T> {
  const checkpoint = await openCheckpoint(journal);
  try {
    return await read(checkpoint);
  } finally {
    checkpoint.close();
  }
}

/** A sink that dies the way a killed process does: `when` 'after' the directory created the users, or 'before'. */
function dyingSink(real: MigrationSink, when: 'before' | 'after', onWrite = 1): MigrationSink {
  let writes = 0;
  return {
    name: real.name,
    maxBatch: real.maxBatch,
    ...(real.lookup ? { lookup: real.lookup.bind(real) } : {}),
    close: () => real.close(),
    async write(items, signal) {
      writes += 1;
      if (writes === onWrite && when === 'before') throw new Error('SIGKILL stand-in');
      const outcomes = await real.write(items, signal);
      if (writes === onWrite) throw new Error('SIGKILL stand-in');
      return outcomes;
    },
  };
}

describe('--retry-failed that stops early', () => {
  it('keeps the failed users in the journal and the report; a plain resume does not lose them; a later retry creates them', async () => {
    const emails = uniqueEmails(30);
    const legacy = await legacyTable(emails.map((email, index) => (index === 14 ? 'not an email' : email)));
    const journal = join(dir, `retry-${counter}.db`);
    try {
      const first = await run(journal, { source: legacy.store });
      expect(first).toMatchObject({ created: 29, failed: 1, journal: { created: 29, failed: 1 } });

      legacy.db.prepare('UPDATE users SET email = ? WHERE id = 15').run(emails[14]); // the operator fixes the data
      const controller = new AbortController();
      const stopped = await run(journal, { source: stoppingAfter(legacy.store, 3, controller), retryFailed: true, signal: controller.signal });
      expect(stopped).toBeInstanceOf(Error);
      expect((await withJournal(journal, (checkpoint) => checkpoint.counts())).failed).toBe(1);

      const resumed = await run(journal, { source: legacy.store });
      expect(resumed).toMatchObject({ journal: { created: 29, failed: 1 } });
      const csv = join(dir, `failures-${counter}.csv`);
      await withJournal(journal, (checkpoint) => writeReport({ summary: resumed as PremigrateSummary, checkpoint, csvPath: csv }));
      expect(readFileSync(csv, 'utf8')).toMatch(/^15,,invalid_email,false,/mu);
      expect(inDirectory(emails[14] as string)).toBeUndefined();

      const retried = await run(journal, { source: legacy.store, retryFailed: true });
      expect(retried).toMatchObject({ created: 1, failed: 0, skipped: 29, journal: { created: 30, failed: 0 } });
      expect(inDirectory(emails[14] as string)).toBeDefined();
    } finally {
      await legacy.store.close?.();
      legacy.db.close();
    }
  });

  it('resolves a failed user a killed retry run had in flight: created when the directory has it, still failed when not', async () => {
    for (const when of ['after', 'before'] as const) {
      const emails = uniqueEmails(5);
      const legacy = await legacyTable(emails.map((email, index) => (index === 2 ? 'not an email' : email)));
      const journal = join(dir, `retry-crash-${counter}.db`);
      try {
        expect(await run(journal, { source: legacy.store })).toMatchObject({ created: 4, failed: 1 });
        legacy.db.prepare('UPDATE users SET email = ? WHERE id = 3').run(emails[2]);
        // The retry run sends user 3 alone and dies with it in flight, after or before Graph created it.
        expect(await run(journal, { source: legacy.store, retryFailed: true, sinkOf: (real) => dyingSink(real, when) })).toBeInstanceOf(Error);

        const resumed = await run(journal, { source: legacy.store });
        const entry = await withJournal(journal, (checkpoint) => checkpoint.entry('3'));
        if (when === 'after') {
          expect(resumed).toMatchObject({ confirmedAfterCrash: 1, journal: { created: 5, failed: 0 } });
          expect(entry).toMatchObject({ status: 'created', objectId: inDirectory(emails[2] as string)?.id });
        } else {
          // Not in the directory: it stays failed (the cursor is past it; a forgotten user would never come back).
          expect(resumed).toMatchObject({ confirmedAfterCrash: 0, journal: { created: 4, failed: 1 } });
          expect(entry).toMatchObject({ status: 'failed', code: 'invalid_email' });
          expect(await run(journal, { source: legacy.store, retryFailed: true })).toMatchObject({ created: 1, journal: { created: 5, failed: 0 } });
        }
      } finally {
        await legacy.store.close?.();
        legacy.db.close();
      }
    }
  });
});

describe('write-back', () => {
  const migratedRows = (legacy: Legacy): Array<{ id: number; email: string; new_object_id: string | null }> =>
    legacy.db.prepare('SELECT id, email, new_object_id FROM users WHERE migrated = 1 ORDER BY id').all() as Array<{ id: number; email: string; new_object_id: string | null }>;

  it('writes back the users a crash left unconfirmed, on the resume', async () => {
    const legacy = await legacyTable(uniqueEmails(40));
    const journal = join(dir, `writeback-crash-${counter}.db`);
    try {
      // Dies right after Graph created the second batch's users, before the journal recorded them.
      expect(await run(journal, { source: legacy.store, writeBack: legacy.store, sinkOf: (real) => dyingSink(real, 'after', 2) })).toBeInstanceOf(Error);
      expect(migratedRows(legacy)).toHaveLength(20);

      const resumed = await run(journal, { source: legacy.store, writeBack: legacy.store });
      expect(resumed).toMatchObject({ confirmedAfterCrash: 20, writtenBack: 20, writeBackPending: 0, journal: { created: 40 } });
      const rows = migratedRows(legacy);
      expect(rows).toHaveLength(40);
      for (const row of rows) expect(row.new_object_id).toBe(inDirectory(row.email)?.id);
      expect(await withJournal(journal, (checkpoint) => [...checkpoint.migrated()].every((entry) => entry.writtenBack))).toBe(true);
    } finally {
      await legacy.store.close?.();
      legacy.db.close();
    }
  });

  it('keeps failed write-backs pending, logs them without secrets, and retries them at the start of the next run', async () => {
    const legacy = await legacyTable(uniqueEmails(6));
    const journal = join(dir, `writeback-failed-${counter}.db`);
    const lines: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (message: string, fields?: Record<string, unknown>) => lines.push(JSON.stringify({ message, ...fields })) };
    try {
      // The legacy store refuses the write-back of even ids (a lock timeout, say).
      const flaky: MigrationWriteBack = {
        markMigrated: (subjectId, confirmation) => (Number(subjectId) % 2 === 0 ? Promise.reject(new Error('lock timeout hash=$2b$10$secret')) : legacy.store.markMigrated(subjectId, confirmation)),
      };
      expect(await run(journal, { source: legacy.store, writeBack: flaky, logger })).toMatchObject({ created: 6, writtenBack: 3, writeBackPending: 3 });
      expect(migratedRows(legacy).map((row) => row.id)).toEqual([1, 3, 5]);
      expect(lines.filter((line) => line.includes('write-back failed'))).toHaveLength(3);
      expect(lines.join('\n')).not.toContain('$2b$');

      const next = await run(journal, { source: legacy.store, writeBack: legacy.store });
      expect(next).toMatchObject({ created: 0, writtenBack: 3, writeBackPending: 0 });
      expect(migratedRows(legacy).map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      await legacy.store.close?.();
      legacy.db.close();
    }
  });
});

describe('legacy accounts that are one identity in the directory', () => {
  it('records the second and third as failed duplicate_identity naming the first, and writes back only the first', async () => {
    const email = `dup${++counter}@legacy.example`;
    const legacy = await legacyTable([email, email.toUpperCase(), email]);
    const journal = join(dir, `duplicate-${counter}.db`);
    try {
      const summary = await run(journal, { source: legacy.store, writeBack: legacy.store });
      expect(summary).toMatchObject({ created: 1, existed: 0, failed: 2, writtenBack: 1, journal: { created: 1, existed: 0, failed: 2 } });
      const objectId = inDirectory(email)?.id;
      await withJournal(journal, (checkpoint) => {
        expect(checkpoint.entry('1')).toMatchObject({ status: 'created', objectId });
        for (const subjectId of ['2', '3']) {
          const entry = checkpoint.entry(subjectId);
          expect(entry).toMatchObject({ status: 'failed', code: 'duplicate_identity', retryable: false });
          expect(entry?.reason).toContain('legacy user 1');
          expect(entry?.reason).not.toContain('$2b$');
        }
      });
      expect(legacy.db.prepare('SELECT id FROM users WHERE migrated = 1').pluck().all()).toEqual([1]);

      // A later run that meets the same identity under a new legacy account says the same (the journal's check).
      legacy.db.prepare('INSERT INTO users (id, email, name, hash, scheme) VALUES (4, ?, ?, ?, ?)').run(email.replace('dup', 'DUP'), 'User 4', hash, 'bcrypt');
      expect(await run(journal, { source: legacy.store, writeBack: legacy.store })).toMatchObject({ failed: 1, journal: { created: 1, failed: 3 } });
      expect(await withJournal(journal, (checkpoint) => checkpoint.entry('4'))).toMatchObject({ code: 'duplicate_identity' });
      expect(legacy.db.prepare('SELECT id FROM users WHERE migrated = 1').pluck().all()).toEqual([1]);
      // That check is an index probe, not a scan (the index is built when the first existed outcome comes).
      const journalDb = new Database(journal, { readonly: true });
      expect(journalDb.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'journal_object'").pluck().get()).toBe('journal_object');
      journalDb.close();
    } finally {
      await legacy.store.close?.();
      legacy.db.close();
    }
  });

  it('records a batch whose existed user met an object another user of the same batch created, in either order, as duplicate_identity', async () => {
    for (const order of ['existed first', 'created first'] as const) {
      const checkpoint = await openCheckpoint(':memory:');
      try {
        const existed = { subjectId: '1', outcome: { status: 'existed', objectId: 'object-x' } as const };
        const created = { subjectId: '2', outcome: { status: 'created', objectId: 'object-x' } as const };
        const other = { subjectId: '3', outcome: { status: 'created', objectId: 'object-y' } as const };
        const results = order === 'existed first' ? [existed, created, other] : [created, existed, other];
        const recorded = checkpoint.record(results);
        const byId = new Map(results.map((result, index) => [result.subjectId, recorded[index]]));
        expect(byId.get('1'), order).toMatchObject({ status: 'failed', code: 'duplicate_identity', retryable: false });
        expect((byId.get('1') as { reason: string }).reason).toContain('legacy user 2');
        expect(byId.get('2')).toEqual({ status: 'created', objectId: 'object-x' });
        expect(checkpoint.entry('1')).toMatchObject({ status: 'failed', code: 'duplicate_identity' });
        expect(checkpoint.holderOf('object-x', '1')).toBe('2');
        expect(checkpoint.counts()).toMatchObject({ created: 2, existed: 0, failed: 1 });
      } finally {
        checkpoint.close();
      }
    }
  });

  it('in one batch, a throttled account that meets the object its case twin created meanwhile is a duplicate, not written back', async () => {
    // The first user of the first $batch is throttled once; its retry conflicts with the second user's create.
    const throttled = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com', writeQuota: null, resourceUnitQuota: null, faults: { batchItem: { on: [1], retryAfter: '0.05' } } });
    const client = createGraphClient({ ...emulatorEndpoints(throttled), backoffBaseMs: 10, backoffMaxMs: 50 });
    const email = `twin${++counter}@legacy.example`;
    const legacy = await legacyTable([email.toUpperCase(), email, ...uniqueEmails(3)]);
    const checkpoint = await openCheckpoint(join(dir, `twins-${counter}.db`));
    const sink = graphSink({ graph: client });
    try {
      const summary = await runPremigration({ source: legacy.store, map, sink, checkpoint, writeBack: legacy.store });
      expect(summary).toMatchObject({ created: 4, existed: 0, failed: 1, writtenBack: 4 });
      const objectId = [...throttled.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === email))?.id;
      expect(checkpoint.entry('2')).toMatchObject({ status: 'created', objectId });
      expect(checkpoint.entry('1')).toMatchObject({ status: 'failed', code: 'duplicate_identity' });
      expect(checkpoint.entry('1')?.reason).toContain('legacy user 2');
      expect(legacy.db.prepare('SELECT id FROM users WHERE migrated = 1 ORDER BY id').pluck().all()).toEqual([2, 3, 4, 5]);
    } finally {
      await sink.close();
      checkpoint.close();
      await legacy.store.close?.();
      legacy.db.close();
      await throttled.close();
    }
  });

  it('after a crash with both case twins in flight, gives the directory user to the one whose name it holds letter for letter', async () => {
    const email = `crash-twin${++counter}@legacy.example`;
    const legacy = await legacyTable([email.toUpperCase(), email]);
    const journal = join(dir, `crash-twins-${counter}.db`);
    try {
      // The killed run had handed both to the sink; the create that went out was the second one's.
      await withJournal(journal, (checkpoint) => {
        checkpoint.markSending(
          [email.toUpperCase(), email].map((name, index) => ({ subjectId: String(index + 1), identity: { signInType: 'emailAddress', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: name } })),
        );
      });
      const created = await graph.createUser(buildLocalAccountUser({ tenant: 'contoso.onmicrosoft.com', issuerAssignedId: email, password: generateCompliantPassword() }));

      const summary = await run(journal, { source: legacy.store, writeBack: legacy.store });
      expect(summary).toMatchObject({ confirmedAfterCrash: 1, created: 0, journal: { created: 1, failed: 1 } });
      await withJournal(journal, (checkpoint) => {
        expect(checkpoint.entry('2')).toMatchObject({ status: 'created', objectId: created.id });
        expect(checkpoint.entry('1')).toMatchObject({ status: 'failed', code: 'duplicate_identity' });
        expect(checkpoint.entry('1')?.reason).toContain('legacy user 2');
      });
      expect(legacy.db.prepare('SELECT id, new_object_id FROM users WHERE migrated = 1').all()).toEqual([{ id: 2, new_object_id: created.id }]);
    } finally {
      await legacy.store.close?.();
      legacy.db.close();
    }
  });
});
