import type { Profile } from './contracts.js';
import { LegacyIdpError, isLegacyIdpError } from './errors.js';

/**
 * The answer of a credential check. Ordinary results are values; only programmer or configuration
 * mistakes throw. `detail` is for the operator's log (an AD sub-code, a ppolicy state): never a secret and
 * never shown to the person signing in, who gets one generic failure answer.
 */
export type VerifyOutcome =
  | ValidOutcome
  | InvalidOutcome
  | { status: 'unknown_user'; detail?: string }
  | { status: 'disabled'; detail?: string }
  | LockedOutcome
  | { status: 'password_expired'; detail?: string }
  | { status: 'must_change'; detail?: string }
  | UnavailableOutcome;

export interface InvalidOutcome {
  status: 'invalid';
  reason: InvalidReason;
  detail?: string;
  /**
   * The account a wrong password was checked against, when the store found one: the same id a `valid` outcome
   * would carry. The Authenticator counts the failure against this account too, so that every spelling that
   * leads a store to the same user (an email alias, a collation's equivalents) shares one lockout counter.
   */
  subjectId?: string;
}

export interface ValidOutcome {
  status: 'valid';
  /** Stable id of the user in the legacy store (DN, primary key, objectGUID): the migration's join key. */
  subjectId: string;
  /** Hash scheme id that matched, for hash stores. */
  scheme?: string;
  /** The stored hash is weak or outdated; a write-back may store a new one. */
  needsUpgrade?: boolean;
}

/**
 * The profile a verifier read in the same lookup as the password check, handed to the Authenticator beside the
 * outcome (a WeakMap, not a field: an outcome is logged and compared, and a profile of a hash store carries the
 * stored hash). The Authenticator uses it only when the verifier is also its profile source, and then skips the
 * second lookup: one query per sign-in instead of two for SQL, Mongo and file stores.
 */
const profilesReadWith = new WeakMap<ValidOutcome, Profile>();

/** Returns the outcome, with `profile` remembered as the one read while verifying. */
export function withProfileRead(outcome: ValidOutcome, profile: Profile): ValidOutcome {
  profilesReadWith.set(outcome, profile);
  return outcome;
}

/** The profile `withProfileRead` attached to this outcome, if any. */
export function profileReadWith(outcome: VerifyOutcome): Profile | undefined {
  return outcome.status === 'valid' ? profilesReadWith.get(outcome) : undefined;
}

export type InvalidReason =
  | 'wrong_password'
  /** Rejected before any backend call: an empty password would be an anonymous LDAP bind. */
  | 'empty_password'
  /** Username or password too long, control characters, not a string: rejected before any backend call. */
  | 'malformed_input';

export interface LockedOutcome {
  status: 'locked';
  /** `legacy_store`: the old system says so (AD 775, ppolicy). `lockout_policy`: this library's lockout. */
  by: 'legacy_store' | 'lockout_policy';
  /** Seconds until a retry may succeed, when known. */
  retryAfter?: number;
  detail?: string;
}

export type UnavailableReason =
  /** The legacy store failed: down, timeout, TLS, bad service credentials, a driver error. */
  | 'backend_error'
  /** The caller's deadline passed first. */
  | 'deadline'
  /** The lockout store failed and the policy is fail-closed. */
  | 'lockout_store'
  /** The store is configured wrongly (e.g. a scheme it cannot verify); the operator must act. */
  | 'misconfigured'
  /** More checks than the cores can hash in time: the hash queue refused this one (ERR_LEGACY_IDP_HASH_BUSY). Try again. */
  | 'overloaded';

export interface UnavailableOutcome {
  status: 'unavailable';
  reason: UnavailableReason;
  /** Typed cause for the operator. Its `toJSON()` carries code and message only. */
  error: LegacyIdpError;
}

/**
 * A stored hash the registry could not check: `overloaded` when its queue refused the check
 * (ERR_LEGACY_IDP_HASH_BUSY, try again), `misconfigured` for a value no scheme can verify (the operator must
 * act). Never a wrong password: the password was not checked.
 */
export function hashCheckUnavailable(error: LegacyIdpError): UnavailableOutcome {
  return { status: 'unavailable', reason: error.code === 'ERR_LEGACY_IDP_HASH_BUSY' ? 'overloaded' : 'misconfigured', error };
}

export type VerifyStatus = VerifyOutcome['status'];

export const verifyStatuses: readonly VerifyStatus[] = [
  'valid',
  'invalid',
  'unknown_user',
  'disabled',
  'locked',
  'password_expired',
  'must_change',
  'unavailable',
];

const knownStatuses: ReadonlySet<unknown> = new Set(verifyStatuses);

/**
 * What makes `value` something other than a VerifyOutcome the callers can act on, or undefined when it is one. A
 * verifier written in JavaScript (or cast past the types) can answer `{ status: 'error' }`, `'VALID'`, a number as
 * `subjectId` or an `unavailable` without its typed error; a handler that switched over the statuses would treat
 * an unknown one as "not a failure" and go on as if the password were right. The Authenticator turns any such
 * answer into `unavailable` (misconfigured); the conformance suite asserts the same shape.
 *
 * The text names the mistake, for the operator. It quotes the status only when it is short and does not hold
 * `password` (a verifier that put the password there must not get it into a log line); without `password` it
 * quotes nothing the verifier chose.
 */
export function outcomeProblem(value: unknown, password?: string): string | undefined {
  if (typeof value !== 'object' || value === null) return `answered ${value === null ? 'null' : typeof value} instead of an outcome object`;
  const outcome = value as Record<string, unknown>;
  const status = outcome['status'];
  if (!knownStatuses.has(status)) {
    const quotable = typeof status === 'string' && password !== undefined && status.length <= 32 && !status.includes(password);
    return `answered status ${quotable ? JSON.stringify(status) : `of type ${status === undefined ? 'undefined' : typeof status}`}, which is none of ${verifyStatuses.join(', ')}`;
  }
  const subjectId = outcome['subjectId'];
  // A lockout counter is keyed by it: a number, an object or '' would merge users or name nobody.
  const hasSubject = typeof subjectId === 'string' && subjectId.length > 0;
  if (status === 'valid' && !hasSubject) return 'answered valid without a subjectId string';
  if (status === 'invalid' && subjectId !== undefined && !hasSubject) return 'answered invalid with a subjectId that is not a non-empty string';
  if (status === 'unavailable' && !isLegacyIdpError(outcome['error'])) {
    const error = outcome['error'];
    // Two copies of the library loaded at once (an ESM and a CJS import) have two LegacyIdpError classes.
    const foreign = error instanceof Error && error.name === 'LegacyIdpError';
    return `answered unavailable without a LegacyIdpError as its error${foreign ? ' (it holds one from another copy of legacy-idp: import LegacyIdpError from the same entry, ESM or CJS, as createAuthenticator)' : ''}`;
  }
  return undefined;
}

/**
 * `outcome` when it is within the contract, else `unavailable` (misconfigured) naming `source` and the mistake. For
 * the protocol handlers: the library's Authenticator never answers outside the contract, but one of the caller's
 * own may, and a handler must neither take an unknown status for success nor fail on a missing error.
 */
export function outcomeWithinContract(outcome: VerifyOutcome, source: string): VerifyOutcome {
  const problem = outcomeProblem(outcome);
  if (problem === undefined) return outcome;
  return { status: 'unavailable', reason: 'misconfigured', error: new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', `${source} ${problem}`) };
}

/**
 * Statuses that prove the password was right: the legacy store only says "expired" or "must change" after
 * checking it (AD 532/773 and ppolicy answer that way only to a correct password).
 */
export function passwordWasCorrect(outcome: VerifyOutcome): boolean {
  return outcome.status === 'valid' || outcome.status === 'password_expired' || outcome.status === 'must_change';
}
