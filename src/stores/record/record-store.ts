import { randomBytes } from 'node:crypto';
import type { ListOptions, MigrationConfirmation, Profile, StoredCredential, UserStore, VerifyInput } from '../../core/contracts.js';
import { callDeadline, deadlineExceeded } from '../../core/deadline.js';
import { LegacyIdpError, isLegacyIdpError } from '../../core/errors.js';
import { hasControlCharacters } from '../../core/normalize.js';
import { hashCheckUnavailable, withProfileRead, type UnavailableReason, type VerifyOutcome } from '../../core/outcome.js';
import type { HashRegistry, VerifyHashOptions } from '../../hashes/registry.js';
import { mapRecord, type LegacyRecord, type RecordMapping, type Row } from './mapping.js';

/**
 * The part every hash-holding store shares (SQL dialects, MongoDB, export files): pick the one user a login
 * names, verify the stored hash with the registry, answer account states only after a correct password,
 * spend one dummy verification for unknown users, and stream every user in key order. A backend only finds
 * rows and reads pages.
 */

/** A row a lookup found, and whether it matched on the username (else on the email). */
export interface FoundRow {
  row: Row;
  byUsername: boolean;
}

export interface RecordBackend {
  /**
   * Rows whose username or (when enabled) email equals the normalized login, at most `limit`. Only ever a
   * parameterized lookup: the login is data, never query text.
   */
  find(login: string, limit: number): Promise<FoundRow[]>;
  /** Up to `limit` rows after the row whose key is `after` (undefined: from the start), in key order. */
  page(after: unknown, limit: number, signal?: AbortSignal): Promise<Row[]>;
  /** How many rows `page` walks through, when the backend can count them. */
  count?(): Promise<number>;
  /**
   * Every row is in memory (the file store): reading them all costs no round trip, so the dummy check's search
   * for a stored credential goes on to the last row instead of stopping after a few pages.
   */
  readonly inMemory?: boolean;
  /**
   * Up to `limit` rows after the key `after` (a `parseCursor` value; undefined: from the first) whose hash field is
   * not null, in key order: the dummy check's look when the pages it read held no credential (a directory of
   * federated or social accounts with a few local ones far down). Empty values may come back; they are skipped.
   */
  credentialRows?(after: unknown, limit: number): Promise<Row[]>;
  /** The list cursor of a row, and back: the key value in a form that survives a restart. */
  cursorOf(row: Row): string;
  parseCursor(cursor: string): unknown;
  /** 'misconfigured' for errors the operator must fix (a missing table or column); else 'backend_error'. */
  classify(error: unknown): UnavailableReason;
  /** Records a confirmed migration; resolves true when a row was updated. */
  markMigrated?(subjectId: string, confirmation: MigrationConfirmation): Promise<boolean>;
  close(): Promise<void>;
}

export interface RecordStoreSettings {
  name: string;
  backend: RecordBackend;
  mapping: RecordMapping;
  registry: HashRegistry;
  /** Close the registry with the store (it was made for the store). */
  ownsRegistry: boolean;
  normalize: (username: string) => string;
  /** Rows per `list()` round trip when the caller gives none; capped at `maxBatchSize`. */
  batchSize: number;
  maxBatchSize: number;
}

export interface RecordStoreStats {
  /** Rows `list()` passed over because they have no subject id or no username. */
  skippedRows: number;
}

export interface RecordUserStore extends UserStore {
  readonly stats: Readonly<RecordStoreStats>;
  /**
   * Chooses the dummy hash of unknown users now (a few pages read, each hash shape of the sample timed: up to 24
   * verifications; or one value of the mapping's scheme made, when the rows read hold none), so that no sign-in
   * waits for it. Resolves once it is chosen; rejects when the store cannot be
   * read (a later call tries again) or when `signal` aborts first, which stops the wait, not the choice.
   */
  prepare(options?: { signal?: AbortSignal }): Promise<void>;
  /** Present when write-back is configured: see `MigrationWriteBack`. */
  markMigrated?(subjectId: string, confirmation: MigrationConfirmation): Promise<boolean>;
  close(): Promise<void>;
}

/** Rows read for the dummy check's sample, and how many distinct hash shapes of them are timed at most. */
const dummySampleRows = 100;
/** Pages read at most while no row of the sample holds a credential (every page when the backend is in memory). */
const dummySamplePages = 20;
const maxDummyCandidates = 8;
/** Timed verifications per shape, and how much slower a shape must be to replace the most common one. */
const costRounds = 3;
const clearlyCostlier = 1.5;

/**
 * A hash with its salt and digest runs blanked, so values that cost the same share a shape: `$2b$12$*`,
 * `{SSHA}*`, `pbkdf2_sha256$600000$*$*`. Digit-only runs (costs, iteration counts) stay.
 */
function hashShape(hash: string): string {
  return hash.replace(/[A-Za-z0-9+/.=]{8,}/gu, (run) => (/^\d+$/u.test(run) ? run : '*'));
}

const verifyOptions = (credential: StoredCredential): VerifyHashOptions => ({
  scheme: credential.scheme,
  ...(credential.context ? { context: credential.context } : {}),
});

/** Logins longer than this name nobody: no store holds such a username, and the query is not worth running. */
const maxLoginLength = 512;

export function createRecordUserStore(settings: RecordStoreSettings): RecordUserStore {
  const { name, backend, mapping, registry, normalize } = settings;
  const stats: RecordStoreStats = { skippedRows: 0 };
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new LegacyIdpError('ERR_LEGACY_IDP_CLOSED', `store "${name}" is closed`);
  };

  const backendFailure = (error: unknown, what: string): LegacyIdpError =>
    isLegacyIdpError(error) ? error : new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', `${name}: ${what} failed`, { cause: error });

  /**
   * The one user a login names. A username match wins over an email match; two users matching the same way
   * (a case-insensitive match over a case-sensitive table, an email two accounts share) find nobody.
   */
  async function findOne(username: string): Promise<{ record: LegacyRecord } | { ambiguous: number } | undefined> {
    // A JavaScript caller can pass anything; an object ({ $ne: null }) must never reach a query.
    if (typeof username !== 'string') return undefined;
    const login = normalize(username);
    if (login.length === 0 || login.length > maxLoginLength || hasControlCharacters(login)) return undefined;
    const found = await backend.find(login, 3);
    const byUsername = found.filter((hit) => hit.byUsername);
    const candidates = byUsername.length > 0 ? byUsername : found;
    if (candidates.length === 0) return undefined;
    if (candidates.length > 1) return { ambiguous: candidates.length };
    const record = mapRecord((candidates[0] as FoundRow).row, mapping, normalize);
    return record === undefined ? undefined : { record };
  }

  // The dummy check verifies a stored value of the store, so an unknown user costs what a wrong password
  // costs. A table may mix schemes ({SSHA} rows before bcrypt rows): the first credential found could be far
  // cheaper than most users' and tell which usernames exist. So the sample's most common hash shape is the
  // default, and another shape replaces it when timing shows it clearly costlier. The choice is made once, by
  // `prepare()` (`legacy-idp serve` runs it at start-up) or else by the first unknown user, and shared; a failure
  // is retried on the next call. A sign-in that comes while it runs waits for it within its own deadline only.
  let dummyChoice: Promise<StoredCredential | undefined> | undefined;
  /** Set once the choice is made: every later dummy check goes straight to its verification. */
  let chosenDummy: { credential: StoredCredential | undefined } | undefined;
  function chooseDummy(): Promise<StoredCredential | undefined> {
    if (dummyChoice === undefined) {
      const choosing = sampleCredential().then((credential) => {
        chosenDummy = { credential };
        return credential;
      });
      dummyChoice = choosing;
      choosing.catch(() => {
        if (dummyChoice === choosing) dummyChoice = undefined;
      });
    }
    return dummyChoice;
  }
  async function sampleCredential(): Promise<StoredCredential | undefined> {
    // A source without passwords has none to find (and an in-memory one would be read to its end for nothing).
    if (mapping.hash === false) return undefined;
    const byShape = new Map<string, { credential: StoredCredential; rows: number }>();
    const shapesFound = (): boolean => byShape.size > 0;
    const addShapes = (rows: readonly Row[]): void => {
      for (const row of rows) {
        const credential = mapRecord(row, mapping, normalize)?.credential;
        if (!credential) continue;
        const shape = `${credential.scheme}\u0000${hashShape(credential.hash)}`;
        const seen = byShape.get(shape);
        if (seen) seen.rows += 1;
        else if (byShape.size < maxDummyCandidates) byShape.set(shape, { credential, rows: 1 });
      }
    };
    // Exports often start with accounts that have no password (social sign-ins): read on, a page at a time, until
    // a credential turns up, or an unknown user would cost nothing at all.
    let after: unknown;
    const pages = backend.inMemory === true ? Number.POSITIVE_INFINITY : dummySamplePages;
    for (let page = 0; page < pages; page++) {
      // A store closed meanwhile (a stop during start-up) ends the choice: nothing would use it.
      assertOpen();
      const rows = await backend.page(after, dummySampleRows);
      addShapes(rows);
      const last = rows[rows.length - 1];
      if (byShape.size > 0 || rows.length < dummySampleRows || last === undefined) break;
      after = backend.parseCursor(backend.cursorOf(last));
    }
    // The pages read held none, and the backend can ask for rows with a hash: past 2,000 password-less rows
    // (an LDAP-federated Keycloak realm, social sign-ins first) the few local accounts would cost a wrong
    // password's time and an unknown user nothing.
    if (byShape.size === 0 && backend.credentialRows !== undefined) {
      let afterCredential: unknown;
      for (let page = 0; page < dummySamplePages; page++) {
        assertOpen();
        const rows = await backend.credentialRows(afterCredential, dummySampleRows);
        addShapes(rows);
        const last = rows[rows.length - 1];
        // Map.size read through a function: the check above narrowed the property to 0 for the type checker.
        if (shapesFound() || rows.length < dummySampleRows || last === undefined) break;
        afterCredential = backend.parseCursor(backend.cursorOf(last));
      }
    }
    // None found in the pages read: a dummy of the mapping's own scheme, or unknown users would cost nothing.
    if (byShape.size === 0) return madeDummy();
    // Most rows first; a stable sort keeps the first seen first among equals.
    const candidates = [...byShape.values()].sort((a, b) => b.rows - a.rows).map((entry) => entry.credential);
    if (candidates.length <= 1) return candidates[0];
    const costs = await verifyCosts(candidates);
    let chosen: { credential: StoredCredential; ms: number } | undefined;
    for (const credential of candidates) {
      const ms = costs.get(credential);
      // A value no scheme can verify fails at once: as a dummy it would cost nothing.
      if (ms === undefined) continue;
      if (chosen === undefined || ms > clearlyCostlier * chosen.ms) chosen = { credential, ms };
    }
    return chosen?.credential ?? candidates[0];
  }
  /**
   * A value of the mapping's fixed scheme, made from a random password with the scheme's default parameters and
   * checked with the mapping's static context, for a store whose rows read hold no credential. Only a scheme that
   * can make values (bcrypt, argon2id, scrypt, pbkdf2_sha256) and needs no per-user context: the others (a
   * Firebase export's firebase_scrypt needs each user's salt) have no dummy, and `auto` names no scheme.
   */
  async function madeDummy(): Promise<StoredCredential | undefined> {
    if (mapping.hash === false || mapping.scheme === 'auto') return undefined;
    const scheme = registry.get(mapping.scheme);
    if (scheme?.hash === undefined) return undefined;
    const context = mapping.staticContext;
    if ((scheme.contextKeys ?? []).some(({ key, required }) => required && (context[key] === undefined || context[key] === null))) return undefined;
    assertOpen();
    try {
      const hash = await registry.hash(mapping.scheme, randomBytes(12).toString('base64url'));
      return { scheme: mapping.scheme, hash, ...(Object.keys(context).length === 0 ? {} : { context: Object.freeze({ ...context }) }) };
    } catch {
      return undefined;
    }
  }
  /**
   * Each candidate's shortest of `costRounds` verifications of a random password, taken in turns: waiting for
   * a busy thread pool or a worker's start-up only adds time, so the shortest run is the closest to the cost.
   * Candidates that throw have no entry.
   */
  async function verifyCosts(candidates: readonly StoredCredential[]): Promise<Map<StoredCredential, number>> {
    const probe = randomBytes(12).toString('base64url');
    const costs = new Map<StoredCredential, number>();
    const failed = new Set<StoredCredential>();
    for (let round = 0; round < costRounds; round++) {
      for (const credential of candidates) {
        if (failed.has(credential)) continue;
        assertOpen();
        const started = performance.now();
        try {
          await registry.verify(probe, credential.hash, verifyOptions(credential));
        } catch {
          failed.add(credential);
          costs.delete(credential);
          continue;
        }
        costs.set(credential, Math.min(costs.get(credential) ?? Number.POSITIVE_INFINITY, performance.now() - started));
      }
    }
    return costs;
  }
  /** The chosen dummy; until it is chosen, the wait for the choice ends when `signal` aborts (it throws then). */
  async function dummyCredential(signal?: AbortSignal): Promise<StoredCredential | undefined> {
    if (chosenDummy !== undefined) return chosenDummy.credential;
    const deadline = callDeadline(signal, undefined);
    try {
      // A store that cannot be read gives no dummy: the lookup just before it failed too, or will.
      const chosen = await deadline.race(chooseDummy()).catch(() => undefined);
      if (chosen === deadlineExceeded) signal?.throwIfAborted();
      return chosen === deadlineExceeded ? undefined : chosen;
    } finally {
      deadline.dispose();
    }
  }
  async function dummyVerify(password: string, signal?: AbortSignal): Promise<void> {
    const sample = await dummyCredential(signal);
    signal?.throwIfAborted();
    if (!sample) return;
    await registry.verify(password, sample.hash, verifyOptions(sample)).catch(() => undefined);
  }

  // `input.signal` is read only where it is used: the Authenticator makes it on first read.
  async function verify(input: VerifyInput): Promise<VerifyOutcome> {
    const { username, password } = input;
    assertOpen();
    if (password.length === 0) return { status: 'invalid', reason: 'empty_password' };
    // A source without passwords can check none: the operator must act, and a wrong password it is not.
    if (mapping.hash === false) return hashCheckUnavailable(new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${name}: this source holds no passwords (mapping.hash is false)`, { path: 'mapping.hash' }));
    let found: Awaited<ReturnType<typeof findOne>>;
    try {
      found = await findOne(username);
    } catch (error) {
      return { status: 'unavailable', reason: backend.classify(error), error: backendFailure(error, 'user lookup') };
    }
    if (found === undefined) return { status: 'unknown_user' };
    if ('ambiguous' in found) return { status: 'unknown_user', detail: `${found.ambiguous} users match this login` };
    const { record } = found;
    const credential = record.credential;
    if (!credential) {
      await dummyVerify(password, input.signal);
      return { status: 'invalid', reason: 'wrong_password', detail: 'no stored password', subjectId: record.profile.subjectId };
    }
    let result;
    try {
      result = await registry.verify(password, credential.hash, verifyOptions(credential));
    } catch (error) {
      const typed = isLegacyIdpError(error)
        ? error
        : new LegacyIdpError('ERR_LEGACY_IDP_HASH_MALFORMED', `${name}: the stored ${credential.scheme} value could not be verified`, { cause: error });
      return hashCheckUnavailable(typed);
    }
    if (result.disabled) return { status: 'disabled', detail: `${result.scheme} disabled-account marker` };
    if (!result.valid) return { status: 'invalid', reason: 'wrong_password', subjectId: record.profile.subjectId };
    // States are told only to someone who knows the password, as AD and ppolicy do.
    const state = record.state;
    switch (state.status) {
      case 'active':
        return withProfileRead({ status: 'valid', subjectId: record.profile.subjectId, scheme: result.scheme, needsUpgrade: result.needsUpgrade }, record.profile);
      case 'locked':
        return { status: 'locked', by: 'legacy_store', detail: state.detail };
      case 'unreadable':
        return {
          status: 'unavailable',
          reason: 'misconfigured',
          error: new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${name}: ${state.detail}`, { path: 'mapping.states' }),
        };
      default:
        return { status: state.status, detail: state.detail };
    }
  }

  async function get(username: string): Promise<Profile | null> {
    assertOpen();
    try {
      const found = await findOne(username);
      return found !== undefined && 'record' in found ? found.record.profile : null;
    } catch (error) {
      throw backendFailure(error, 'user lookup');
    }
  }

  async function* list(options: ListOptions = {}): AsyncGenerator<Profile> {
    assertOpen();
    const batchSize = Math.min(Math.max(1, Math.floor(options.batchSize ?? settings.batchSize)), settings.maxBatchSize);
    let after: unknown;
    if (options.after !== undefined) {
      try {
        after = backend.parseCursor(options.after);
      } catch (error) {
        throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'list(): "after" is not a cursor this store produced', { cause: error });
      }
    }
    for (;;) {
      options.signal?.throwIfAborted();
      assertOpen();
      let rows: Row[];
      try {
        // One row more than the page: the row after the page's last tells whether the next page, which starts
        // after the last key, would skip a row holding that same key.
        rows = await backend.page(after, batchSize + 1, options.signal);
      } catch (error) {
        throw backendFailure(error, 'listing users');
      }
      const cursors = rows.map((row) => backend.cursorOf(row));
      // Keys come back sorted, so equal keys sit next to each other: checking neighbours finds every repeat.
      for (let index = 1; index < cursors.length; index++) {
        if (cursors[index] === cursors[index - 1]) throw keyNotUnique();
      }
      const page = Math.min(rows.length, batchSize);
      for (let index = 0; index < page; index++) {
        const record = mapRecord(rows[index] as Row, mapping, normalize, cursors[index]);
        if (record) yield record.profile;
        else stats.skippedRows += 1;
      }
      if (rows.length <= batchSize) return;
      try {
        after = backend.parseCursor(cursors[batchSize - 1] as string);
      } catch (error) {
        // A key the backend wrote but cannot read back: the listing cannot go on from it, and must not stop untyped.
        throw isLegacyIdpError(error)
          ? error
          : new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${name}: list(): a key of "${mapping.subjectId}" cannot be paged after; map a key field of strings or numbers as mapping.subjectId`, { path: 'mapping.subjectId', cause: error });
      }
    }
  }

  /** The message names the field, never a value: a key can be an email address. */
  const keyNotUnique = (): LegacyIdpError =>
    new LegacyIdpError(
      'ERR_LEGACY_IDP_CONFIG_INVALID',
      `${name}: list(): the subject id column "${mapping.subjectId}" is not unique (two rows hold the same key, or keys that become equal when read), so paging by it would skip rows; map a unique key such as the primary key as mapping.subjectId`,
      { path: 'mapping.subjectId' },
    );

  const markMigrated = backend.markMigrated?.bind(backend);
  const count = backend.count?.bind(backend);
  return {
    name,
    stats,
    verify,
    async dummyVerify(password, options) {
      assertOpen();
      await dummyVerify(password, options?.signal);
    },
    async prepare(options) {
      assertOpen();
      const deadline = callDeadline(options?.signal, undefined);
      try {
        const chosen = await deadline.race(chooseDummy()).catch((error: unknown) => {
          throw backendFailure(error, 'choosing the dummy hash');
        });
        if (chosen === deadlineExceeded) throw new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', `${name}: the dummy hash was not chosen before the deadline (the choice goes on)`);
      } finally {
        deadline.dispose();
      }
    },
    get,
    list,
    ...(count
      ? {
          async count() {
            assertOpen();
            try {
              return await count();
            } catch (error) {
              throw backendFailure(error, 'counting users');
            }
          },
        }
      : {}),
    ...(markMigrated
      ? {
          async markMigrated(subjectId: string, confirmation: MigrationConfirmation) {
            assertOpen();
            if (typeof subjectId !== 'string' || subjectId.length === 0) {
              throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'markMigrated(): subjectId must be a non-empty string');
            }
            if (typeof (confirmation as MigrationConfirmation | undefined)?.objectId !== 'string' || confirmation.objectId.length === 0) {
              throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', "markMigrated(): the new directory's objectId is required: write back only what the new IdP confirmed");
            }
            try {
              return await markMigrated(subjectId, confirmation);
            } catch (error) {
              throw backendFailure(error, 'write-back');
            }
          },
        }
      : {}),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await backend.close();
      } finally {
        if (settings.ownsRegistry) await registry.close();
      }
    },
  };
}
