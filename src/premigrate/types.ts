import type { LocalAccountUser, ObjectIdentity } from '../graph/users.js';

/**
 * The pieces of a bulk pre-migration: a source (any ProfileSource) is mapped user by user into Graph create
 * payloads, a sink writes them (Microsoft Graph with $batch, or a JSONL file), and a checkpoint journal records
 * every user's outcome so a run killed at any point resumes without skipping or duplicating anyone.
 */

/** One legacy user, mapped and ready to create. */
export interface MigrationItem {
  /** The legacy subject id: the journal's key. */
  subjectId: string;
  /** The source position of this user (`Profile.cursor`), to resume the listing. */
  cursor?: string;
  /** The local identity the new directory will know the user by (the ObjectConflict / lookup key). */
  identity: ObjectIdentity;
  /** The Graph payload (holds a password: never logged, never in a report). */
  payload: LocalAccountUser;
  /** `recovered`: the legacy password itself (clear or decrypted); `generated`: a random one + requiresMigration. */
  password: 'recovered' | 'generated';
}

/** What happened to one user. Reasons never contain a password or a hash. */
export type ItemOutcome =
  | { status: 'created'; objectId: string }
  /** The identity was already in the directory (an earlier run, JIT, or another tool created it). */
  | { status: 'existed'; objectId: string }
  /**
   * Not created. `retryable`: a transient failure (throttling, 5xx, timeout) that outlasted the sink's own
   * retries; a later run (or --retry-failed) may succeed. Otherwise the payload was refused (4xx).
   */
  | { status: 'failed'; code: string; reason: string; retryable: boolean };

export interface MigrationSink {
  readonly name: string;
  /**
   * Writes up to `maxBatch` users; resolves one outcome per item, in the same order. Never rejects for a
   * single user's failure (that is a `failed` outcome); rejects only when the sink itself is broken (bad
   * credentials, file not writable), which stops the run.
   */
  write(items: readonly MigrationItem[], signal?: AbortSignal): Promise<ItemOutcome[]>;
  /**
   * Finds a user by identity (resolving journal entries a crash left unconfirmed); null when absent. `signInName`:
   * the sign-in name as the target holds it, letter case included, when the target tells (Graph does). Two legacy
   * accounts whose names differ only in case find the same user; the one whose name it holds letter for letter is
   * the one whose create made it.
   */
  lookup?(identity: ObjectIdentity, signal?: AbortSignal): Promise<{ objectId: string; signInName?: string } | null>;
  /** Users per `write` call (Graph: 20). */
  readonly maxBatch: number;
  close(): Promise<void>;
}

/** A user the mapping could not turn into a payload (no sign-in name, an invalid email...). */
export interface MappingFailure {
  subjectId: string;
  cursor?: string;
  code: string;
  reason: string;
}
