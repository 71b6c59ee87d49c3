import type { Database, Statement } from 'better-sqlite3';
import { LegacyIdpError } from '../core/errors.js';
import { importOptional } from '../core/optional-import.js';
import type { ObjectIdentity } from '../graph/users.js';
import type { ItemOutcome } from './types.js';

/**
 * The checkpoint journal of a pre-migration run (SQLite, one row per legacy user and its outcome). A batch is
 * written to an in-flight table before its creates go out, and removed in the transaction that records its
 * outcomes; a run killed in between finds the batch on restart and asks the directory whether its users
 * exist, so nobody is created twice and nobody is skipped. The source cursor only moves past users whose
 * outcome is recorded. One in-flight row per batch rather than a `sending` row per user halves the journal's
 * writes (they were a third of a JSONL run's time).
 */

export type JournalStatus = 'sending' | 'created' | 'existed' | 'failed';

export interface JournalEntry {
  subjectId: string;
  status: JournalStatus;
  objectId?: string;
  code?: string;
  reason?: string;
  retryable?: boolean;
  identity?: ObjectIdentity;
  attempts: number;
}

export interface JournalCounts {
  created: number;
  existed: number;
  failed: number;
  sending: number;
}

export interface Checkpoint {
  readonly path: string;
  entry(subjectId: string): JournalEntry | undefined;
  /** Records a batch as about to be sent; returns its id for `record`. */
  markSending(items: ReadonlyArray<{ subjectId: string; identity: ObjectIdentity }>): number;
  /** Records final outcomes, and clears the in-flight batch they answer (one transaction). */
  record(results: ReadonlyArray<{ subjectId: string; identity?: ObjectIdentity; outcome: ItemOutcome }>, batchId?: number): void;
  /** Users of batches a crash left in flight (status `sending`). */
  unconfirmed(): JournalEntry[];
  /** Drops the in-flight batches, once `unconfirmed()` users were resolved. */
  clearUnconfirmed(): void;
  /** Forgets entries so their users are sent again (unconfirmed users not in the directory, --retry-failed). */
  forget(subjectIds: readonly string[]): void;
  /** Subject ids of failed users (for --retry-failed). */
  failedIds(): string[];
  /** Failed users in subject order, for the report (streamed: memory stays flat). */
  failures(): IterableIterator<JournalEntry>;
  /** Users recorded as created or existed, with their object ids (for reconcile). */
  migrated(): IterableIterator<JournalEntry>;
  counts(): JournalCounts;
  cursor(): string | undefined;
  setCursor(cursor: string): void;
  /** A value the run was started with (sink kind, tenant): a journal is never reused for another target. */
  meta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  close(): void;
}

interface Row {
  subject_id: string;
  status: JournalStatus;
  object_id: string | null;
  code: string | null;
  reason: string | null;
  retryable: number | null;
  sign_in_type: string | null;
  issuer: string | null;
  issuer_assigned_id: string | null;
  attempts: number;
}

function entryOf(row: Row): JournalEntry {
  return {
    subjectId: row.subject_id,
    status: row.status,
    attempts: row.attempts,
    ...(row.object_id === null ? {} : { objectId: row.object_id }),
    ...(row.code === null ? {} : { code: row.code }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.retryable === null ? {} : { retryable: row.retryable === 1 }),
    ...(row.sign_in_type !== null && row.issuer !== null && row.issuer_assigned_id !== null
      ? { identity: { signInType: row.sign_in_type, issuer: row.issuer, issuerAssignedId: row.issuer_assigned_id } }
      : {}),
  };
}

export async function openCheckpoint(path: string): Promise<Checkpoint> {
  const module = await importOptional('better-sqlite3', 'the pre-migration checkpoint journal', () => import('better-sqlite3'));
  const DatabaseClass = (module as unknown as { default?: typeof import('better-sqlite3') }).default ?? (module as unknown as typeof import('better-sqlite3'));
  let db: Database;
  try {
    db = new DatabaseClass(path);
  } catch (error) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `cannot open the checkpoint journal ${path}`, { cause: error });
  }
  // WAL: a committed transaction survives the process being killed at any instruction after it.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS journal (
      subject_id TEXT PRIMARY KEY,
      status TEXT NOT NULL CHECK (status IN ('sending', 'created', 'existed', 'failed')),
      object_id TEXT, code TEXT, reason TEXT, retryable INTEGER,
      sign_in_type TEXT, issuer TEXT, issuer_assigned_id TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS journal_status ON journal (status);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS inflight (batch_id INTEGER PRIMARY KEY, items TEXT NOT NULL);
  `);
  const now = (): string => new Date().toISOString();
  const statements = {
    get: db.prepare('SELECT * FROM journal WHERE subject_id = ?'),
    // Positional parameters: binding by name cost a measurable share of a JSONL run.
    outcome: db.prepare(`
      INSERT INTO journal (subject_id, status, object_id, code, reason, retryable, sign_in_type, issuer, issuer_assigned_id, attempts, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
      ON CONFLICT (subject_id) DO UPDATE SET status = excluded.status, object_id = excluded.object_id, code = excluded.code,
        reason = excluded.reason, retryable = excluded.retryable,
        sign_in_type = COALESCE(excluded.sign_in_type, journal.sign_in_type), issuer = COALESCE(excluded.issuer, journal.issuer),
        issuer_assigned_id = COALESCE(excluded.issuer_assigned_id, journal.issuer_assigned_id), updated_at = excluded.updated_at`),
    unconfirmed: db.prepare("SELECT * FROM journal WHERE status = 'sending' ORDER BY subject_id"),
    inflightAdd: db.prepare('INSERT INTO inflight (items) VALUES (?)'),
    inflightDelete: db.prepare('DELETE FROM inflight WHERE batch_id = ?'),
    inflightAll: db.prepare('SELECT items FROM inflight ORDER BY batch_id').pluck(),
    inflightClear: db.prepare('DELETE FROM inflight'),
    forget: db.prepare('DELETE FROM journal WHERE subject_id = ?'),
    failedIds: db.prepare("SELECT subject_id FROM journal WHERE status = 'failed' ORDER BY subject_id").pluck(),
    failures: db.prepare("SELECT * FROM journal WHERE status = 'failed' ORDER BY subject_id"),
    migrated: db.prepare("SELECT * FROM journal WHERE status IN ('created', 'existed') ORDER BY subject_id"),
    counts: db.prepare('SELECT status, COUNT(*) AS n FROM journal GROUP BY status'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };

  const record = db.transaction((results: ReadonlyArray<{ subjectId: string; identity?: ObjectIdentity; outcome: ItemOutcome }>, batchId?: number) => {
    if (batchId !== undefined) statements.inflightDelete.run(batchId);
    const at = now();
    for (const { subjectId, identity, outcome } of results) {
      const failed = outcome.status === 'failed';
      statements.outcome.run(
        subjectId,
        outcome.status,
        failed ? null : outcome.objectId,
        failed ? outcome.code : null,
        failed ? outcome.reason : null,
        failed ? Number(outcome.retryable) : null,
        identity?.signInType ?? null,
        identity?.issuer ?? null,
        identity?.issuerAssignedId ?? null,
        at,
      );
    }
  });
  const forget = db.transaction((subjectIds: readonly string[]) => {
    for (const subjectId of subjectIds) statements.forget.run(subjectId);
  });

  function* iterate(statement: Statement): IterableIterator<JournalEntry> {
    for (const row of statement.iterate() as IterableIterator<Row>) yield entryOf(row);
  }

  return {
    path,
    entry(subjectId) {
      const row = statements.get.get(subjectId) as Row | undefined;
      return row === undefined ? undefined : entryOf(row);
    },
    markSending: (items) =>
      Number(statements.inflightAdd.run(JSON.stringify(items.map(({ subjectId, identity }) => [subjectId, identity.signInType, identity.issuer, identity.issuerAssignedId]))).lastInsertRowid),
    record: (results, batchId) => {
      record(results, batchId);
    },
    unconfirmed() {
      const entries = (statements.unconfirmed.all() as Row[]).map(entryOf);
      for (const text of statements.inflightAll.all() as string[]) {
        for (const [subjectId, signInType, issuer, issuerAssignedId] of JSON.parse(text) as Array<[string, string, string, string]>) {
          // A user of a batch in flight whose outcome a later transaction recorded is settled, not unconfirmed.
          const settled = statements.get.get(subjectId) as Row | undefined;
          if (settled === undefined) entries.push({ subjectId, status: 'sending', attempts: 1, identity: { signInType, issuer, issuerAssignedId } });
        }
      }
      return entries;
    },
    clearUnconfirmed() {
      statements.inflightClear.run();
    },
    forget: (subjectIds) => {
      forget(subjectIds);
    },
    failedIds: () => statements.failedIds.all() as string[],
    failures: () => iterate(statements.failures),
    migrated: () => iterate(statements.migrated),
    counts() {
      const counts: JournalCounts = { created: 0, existed: 0, failed: 0, sending: 0 };
      for (const { status, n } of statements.counts.all() as Array<{ status: JournalStatus; n: number }>) counts[status] = n;
      return counts;
    },
    cursor: () => (statements.getMeta.get('cursor') as string | undefined) ?? undefined,
    setCursor(cursor) {
      statements.setMeta.run('cursor', cursor);
    },
    meta: (key) => (statements.getMeta.get(key) as string | undefined) ?? undefined,
    setMeta(key, value) {
      statements.setMeta.run(key, value);
    },
    close() {
      if (db.open) db.close();
    },
  };
}
