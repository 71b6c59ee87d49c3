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
 *
 * One run at a time: the journal is opened with SQLite's exclusive locking mode and an exclusive transaction
 * at once, so a second run (in this process or another) is refused instead of sending the same users again and
 * appending them twice to a JSONL file. A `format` row in `meta` marks the file as ours; a database without it
 * is accepted only when it holds exactly the tables of the first journal version (then stamped), never a
 * foreign database (the legacy store itself given as --journal) that would get tables created inside it.
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
  /** Created or existed, and the legacy store's write-back recorded it (false until then). */
  writtenBack: boolean;
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
  /**
   * Records final outcomes, and clears the in-flight batch they answer (one transaction). Returns the outcomes
   * as recorded: an `existed` whose directory object another legacy user of the journal already holds, or
   * another user of the same call is `created` with, is recorded as failed `duplicate_identity` (two legacy
   * accounts whose sign-in names differ only in letter case are one identity in the directory) and must not be
   * written back.
   */
  record(results: ReadonlyArray<{ subjectId: string; identity?: ObjectIdentity; outcome: ItemOutcome }>, batchId?: number): ItemOutcome[];
  /** The other legacy user (subject id) whose created or existed row holds this directory object, if any. */
  holderOf(objectId: string, exceptSubjectId: string): string | undefined;
  /**
   * Users of batches a crash left in flight: status `sending` when the journal had no outcome for them, or
   * `failed` when an earlier run had failed them and a --retry-failed run was sending them again.
   */
  unconfirmed(): JournalEntry[];
  /** Drops the in-flight batches, once `unconfirmed()` users were resolved. */
  clearUnconfirmed(): void;
  /** Forgets entries so their users are sent again (unconfirmed users not in the directory). */
  forget(subjectIds: readonly string[]): void;
  /** Records that the legacy store's write-back of these (created or existed) users succeeded. */
  markWrittenBack(subjectIds: readonly string[]): void;
  /**
   * Created or existed users whose write-back has not succeeded yet, in subject order, at most `limit` after
   * `afterSubjectId` (pages: better-sqlite3 cannot write while a statement iterates).
   */
  writeBackPending(afterSubjectId: string | undefined, limit: number): Array<{ subjectId: string; objectId: string }>;
  /** How many created or existed users still wait for their write-back. */
  writeBackPendingCount(): number;
  /** Failed users in subject order, for the report (streamed: memory stays flat). */
  failures(): IterableIterator<JournalEntry>;
  /** Users recorded as created or existed, with their object ids (for reconcile). */
  migrated(): IterableIterator<JournalEntry>;
  counts(): JournalCounts;
  cursor(): string | undefined;
  setCursor(cursor: string): void;
  /** A value the run was started with (its target, its source, the format): a journal is never reused for another one. */
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
  written_back: number;
}

function entryOf(row: Row): JournalEntry {
  return {
    subjectId: row.subject_id,
    status: row.status,
    attempts: row.attempts,
    writtenBack: row.written_back === 1,
    ...(row.object_id === null ? {} : { objectId: row.object_id }),
    ...(row.code === null ? {} : { code: row.code }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.retryable === null ? {} : { retryable: row.retryable === 1 }),
    ...(row.sign_in_type !== null && row.issuer !== null && row.issuer_assigned_id !== null
      ? { identity: { signInType: row.sign_in_type, issuer: row.issuer, issuerAssignedId: row.issuer_assigned_id } }
      : {}),
  };
}

/** The `format` row in `meta` that marks a database as a pre-migration journal, and its layout's version. */
const formatPrefix = 'legacy-idp premigrate journal ';
const formatVersion = 2;
const journalFormat = `${formatPrefix}${formatVersion}`;
/** The tables of every journal; a database holding exactly these without a `format` row is a first-version journal. */
const journalTables = ['inflight', 'journal', 'meta'];

function journalFileError(path: string, problem: string, cause?: unknown): LegacyIdpError {
  return new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `the checkpoint journal ${path} ${problem}`, cause === undefined ? {} : { cause });
}

/** SQLite's answer when another connection holds the journal's lock (this process or another one). */
const isBusy = (error: unknown): boolean => {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
};

/**
 * Takes the journal for this run and checks that it is one. Runs inside an exclusive transaction: nothing is
 * written to a database that turns out not to be a journal, and nobody else can open it from here on.
 */
function claimJournal(db: Database, path: string): 'new' | 'journal' | 'first-version' {
  // Held until close: in exclusive locking mode SQLite keeps every lock it took, and WAL then uses no shared
  // memory, so a second opener gets SQLITE_BUSY at its first read or write.
  db.pragma('locking_mode = EXCLUSIVE');
  db.exec('BEGIN EXCLUSIVE');
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[]);
    if (tables.length === 0) return 'new';
    if (tables.includes('meta')) {
      let format: unknown;
      try {
        format = db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get();
      } catch {
        format = undefined;
      }
      if (format === journalFormat) return 'journal';
      if (typeof format === 'string' && format.startsWith(formatPrefix)) {
        throw journalFileError(path, `was written by another version of legacy-idp (${format}; this one reads version ${formatVersion})`);
      }
    }
    const columns = tables.includes('journal') ? (db.prepare("SELECT name FROM pragma_table_info('journal')").pluck().all() as string[]) : [];
    if (tables.join(',') === journalTables.join(',') && columns.includes('subject_id') && columns.includes('status')) return 'first-version';
    throw journalFileError(path, `is a SQLite database but not a pre-migration journal (it holds the tables ${tables.join(', ')}); give --journal a new file`);
  } finally {
    if (db.inTransaction) db.exec('COMMIT');
  }
}

export async function openCheckpoint(path: string): Promise<Checkpoint> {
  const module = await importOptional('better-sqlite3', 'the pre-migration checkpoint journal', () => import('better-sqlite3'));
  const DatabaseClass = (module as unknown as { default?: typeof import('better-sqlite3') }).default ?? (module as unknown as typeof import('better-sqlite3'));
  let db: Database;
  try {
    // A short busy wait: the lock is held for a whole run, so waiting longer would not help.
    db = new DatabaseClass(path, { timeout: 200 });
  } catch (error) {
    throw journalFileError(path, 'cannot be opened', error);
  }
  let kind: ReturnType<typeof claimJournal>;
  try {
    kind = claimJournal(db, path);
    // WAL: a committed transaction survives the process being killed at any instruction after it.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.transaction(() => {
      db.exec(`
        CREATE TABLE IF NOT EXISTS journal (
          subject_id TEXT PRIMARY KEY,
          status TEXT NOT NULL CHECK (status IN ('sending', 'created', 'existed', 'failed')),
          object_id TEXT, code TEXT, reason TEXT, retryable INTEGER,
          sign_in_type TEXT, issuer TEXT, issuer_assigned_id TEXT,
          attempts INTEGER NOT NULL DEFAULT 0,
          updated_at TEXT NOT NULL,
          written_back INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS inflight (batch_id INTEGER PRIMARY KEY, items TEXT NOT NULL);
      `);
      if (kind === 'first-version') {
        // Nothing says which of its users were written back: all of them are pending (a write-back is idempotent).
        const columns = db.prepare("SELECT name FROM pragma_table_info('journal')").pluck().all() as string[];
        if (!columns.includes('written_back')) db.exec('ALTER TABLE journal ADD COLUMN written_back INTEGER NOT NULL DEFAULT 0');
      }
      db.exec('CREATE INDEX IF NOT EXISTS journal_status ON journal (status)');
      db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(journalFormat);
    })();
  } catch (error) {
    db.close();
    if (error instanceof LegacyIdpError) throw error;
    if (isBusy(error)) throw journalFileError(path, 'is in use by another run (another premigrate on the same journal); wait for it to end, or give another --journal', error);
    const code = (error as { code?: unknown }).code;
    throw journalFileError(path, `is not a usable pre-migration journal${typeof code === 'string' ? ` (${code})` : ''}; give --journal a new file`, error);
  }
  const now = (): string => new Date().toISOString();
  // The object id index serves the duplicate check, which only `existed` outcomes and users confirmed after a
  // crash need. It is built the first time one comes (once, in a few hundred ms for a million rows) and kept:
  // a JSONL run, which never has one, does not pay for it on every insert (6% of its CPU).
  let objectIndexed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'journal_object'").get() !== undefined;
  const indexObjects = (): void => {
    if (objectIndexed) return;
    db.exec('CREATE INDEX IF NOT EXISTS journal_object ON journal (object_id)');
    objectIndexed = true;
  };
  const statements = {
    get: db.prepare('SELECT * FROM journal WHERE subject_id = ?'),
    // Positional parameters: binding by name cost a measurable share of a JSONL run. A row keeps its
    // written-back mark only while its object stays the same.
    outcome: db.prepare(`
      INSERT INTO journal (subject_id, status, object_id, code, reason, retryable, sign_in_type, issuer, issuer_assigned_id, attempts, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
      ON CONFLICT (subject_id) DO UPDATE SET status = excluded.status, object_id = excluded.object_id, code = excluded.code,
        reason = excluded.reason, retryable = excluded.retryable,
        sign_in_type = COALESCE(excluded.sign_in_type, journal.sign_in_type), issuer = COALESCE(excluded.issuer, journal.issuer),
        issuer_assigned_id = COALESCE(excluded.issuer_assigned_id, journal.issuer_assigned_id), updated_at = excluded.updated_at,
        written_back = CASE WHEN excluded.object_id IS journal.object_id THEN journal.written_back ELSE 0 END`),
    holder: db.prepare("SELECT subject_id FROM journal WHERE object_id = ? AND subject_id <> ? AND status IN ('created', 'existed') LIMIT 1").pluck(),
    unconfirmed: db.prepare("SELECT * FROM journal WHERE status = 'sending' ORDER BY subject_id"),
    inflightAdd: db.prepare('INSERT INTO inflight (items) VALUES (?)'),
    inflightDelete: db.prepare('DELETE FROM inflight WHERE batch_id = ?'),
    inflightAll: db.prepare('SELECT items FROM inflight ORDER BY batch_id').pluck(),
    inflightClear: db.prepare('DELETE FROM inflight'),
    forget: db.prepare('DELETE FROM journal WHERE subject_id = ?'),
    writtenBack: db.prepare("UPDATE journal SET written_back = 1 WHERE subject_id = ? AND status IN ('created', 'existed')"),
    // Walks the primary key from where the last page ended: one pass over the journal in all.
    pendingFirst: db.prepare("SELECT subject_id, object_id FROM journal WHERE written_back = 0 AND status IN ('created', 'existed') ORDER BY subject_id LIMIT ?"),
    pendingAfter: db.prepare("SELECT subject_id, object_id FROM journal WHERE subject_id > ? AND written_back = 0 AND status IN ('created', 'existed') ORDER BY subject_id LIMIT ?"),
    pendingCount: db.prepare("SELECT COUNT(*) FROM journal WHERE written_back = 0 AND status IN ('created', 'existed')").pluck(),
    failures: db.prepare("SELECT * FROM journal WHERE status = 'failed' ORDER BY subject_id"),
    migrated: db.prepare("SELECT * FROM journal WHERE status IN ('created', 'existed') ORDER BY subject_id"),
    counts: db.prepare('SELECT status, COUNT(*) AS n FROM journal GROUP BY status'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };

  const record = db.transaction((results: ReadonlyArray<{ subjectId: string; identity?: ObjectIdentity; outcome: ItemOutcome }>, batchId?: number): ItemOutcome[] => {
    if (batchId !== undefined) statements.inflightDelete.run(batchId);
    const at = now();
    const recorded: ItemOutcome[] = [];
    // The objects this batch created, and by whom. An existed answer of the same batch may name one of them, at
    // any place in the batch: its create was throttled, and its retry met the object the other legacy account's
    // create made meanwhile. The creator owns the object; the rows already in the journal cannot say so, as the
    // creator's row may come later in this batch. Built only for batches with an existed answer (JSONL has none).
    let createdHere: Map<string, string> | undefined;
    if (results.some(({ outcome }) => outcome.status === 'existed')) {
      createdHere = new Map();
      for (const { subjectId, outcome } of results) if (outcome.status === 'created') createdHere.set(outcome.objectId, subjectId);
    }
    for (const { subjectId, identity, outcome: given } of results) {
      let outcome = given;
      // A created object is new, nobody can hold it; an existing one may be another legacy user's (created in
      // this batch, recorded earlier in it, or in an earlier run). One index probe per existed user only.
      if (given.status === 'existed') {
        indexObjects();
        const creator = createdHere?.get(given.objectId);
        const holder = creator !== undefined && creator !== subjectId ? creator : (statements.holder.get(given.objectId, subjectId) as string | undefined);
        if (holder !== undefined) outcome = duplicateIdentity(given.objectId, holder);
      }
      recorded.push(outcome);
      const failure = outcome.status === 'failed' ? outcome : undefined;
      statements.outcome.run(
        subjectId,
        outcome.status,
        outcome.status === 'failed' ? null : outcome.objectId,
        failure ? failure.code : null,
        failure ? failure.reason : null,
        failure ? Number(failure.retryable) : null,
        identity?.signInType ?? null,
        identity?.issuer ?? null,
        identity?.issuerAssignedId ?? null,
        at,
      );
    }
    return recorded;
  });
  const forget = db.transaction((subjectIds: readonly string[]) => {
    for (const subjectId of subjectIds) statements.forget.run(subjectId);
  });
  const markWrittenBack = db.transaction((subjectIds: readonly string[]) => {
    for (const subjectId of subjectIds) statements.writtenBack.run(subjectId);
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
    record: (results, batchId) => record(results, batchId),
    holderOf(objectId, exceptSubjectId) {
      indexObjects();
      return (statements.holder.get(objectId, exceptSubjectId) as string | undefined) ?? undefined;
    },
    unconfirmed() {
      const entries = (statements.unconfirmed.all() as Row[]).map(entryOf);
      for (const text of statements.inflightAll.all() as string[]) {
        for (const [subjectId, signInType, issuer, issuerAssignedId] of JSON.parse(text) as Array<[string, string, string, string]>) {
          const identity = { signInType, issuer, issuerAssignedId };
          // A user of a batch in flight whose outcome a later transaction recorded is settled, not unconfirmed;
          // a failed one was being sent again by --retry-failed, and the directory may have it now.
          const row = statements.get.get(subjectId) as Row | undefined;
          if (row === undefined) entries.push({ subjectId, status: 'sending', attempts: 1, writtenBack: false, identity });
          else if (row.status === 'failed') entries.push({ ...entryOf(row), identity });
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
    markWrittenBack: (subjectIds) => {
      markWrittenBack(subjectIds);
    },
    writeBackPending(afterSubjectId, limit) {
      const rows = (afterSubjectId === undefined ? statements.pendingFirst.all(limit) : statements.pendingAfter.all(afterSubjectId, limit)) as Array<{ subject_id: string; object_id: string }>;
      return rows.map((row) => ({ subjectId: row.subject_id, objectId: row.object_id }));
    },
    writeBackPendingCount: () => statements.pendingCount.get() as number,
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

/** The outcome of a user whose directory object another legacy user of the journal already holds. */
export function duplicateIdentity(objectId: string, holder: string): ItemOutcome {
  return {
    status: 'failed',
    code: 'duplicate_identity',
    reason: `the directory user ${objectId} already belongs to the legacy user ${holder}: the two sign-in names are one identity in the directory (they may differ only in letter case); merge or rename one of the legacy accounts`,
    retryable: false,
  };
}
