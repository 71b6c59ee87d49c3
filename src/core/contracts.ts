import type { VerifyOutcome } from './outcome.js';

/** What a verifier is asked. `username` has already been normalized by the caller's policy. */
export interface VerifyInput {
  username: string;
  password: string;
  /** Aborted when the caller's deadline passes; implementations should stop work and return soon. */
  signal?: AbortSignal;
  /** Correlation id for logs. */
  requestId?: string;
}

/**
 * Checks a username and password against a legacy store. Ordinary results (wrong password, unknown user,
 * disabled) are returned as outcomes; a backend failure may be returned as `unavailable` or thrown (the
 * Authenticator maps a throw to `unavailable`). Never returns `valid` for anything but a checked password.
 */
export interface CredentialVerifier {
  readonly name: string;
  verify(input: VerifyInput): Promise<VerifyOutcome>;
  /**
   * Spends the cost of one real verification and discards the result. The Authenticator calls it after
   * an `unknown_user` outcome so that the answer time does not reveal whether a user exists. Verifiers
   * whose backend already spends that cost (an LDAP server hashing on bind) may leave it out.
   */
  dummyVerify?(password: string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Work done once, before the verifier answers in its usual time (a hash store chooses its dummy hash, timing the
   * hash shapes it holds), which would otherwise fall on the first sign-in that needs it. A service runs it at
   * start-up and reports ready once it resolves. `signal` ends the wait, not the work: it goes on for the next caller.
   */
  prepare?(options?: { signal?: AbortSignal }): Promise<void>;
  close?(): Promise<void>;
}

/** A password hash as stored in the legacy system, for hash stores and bulk migration. */
export interface StoredCredential {
  /** Hash scheme id from the registry (e.g. `sha512_crypt`, `aspnet_identity_v3`). */
  scheme: string;
  /** The stored value. A secret: never log it. */
  hash: string;
  /** Per-user inputs the scheme needs (salt column, iteration count, user name). */
  context?: Readonly<Record<string, unknown>>;
  /** The clear password can be recovered (stored clear or reversibly encrypted). */
  recoverable?: boolean;
}

/** A legacy user's identity claims, as the new IdP needs them. */
export interface Profile {
  /** Stable id in the legacy store; the same across runs, so retries never create a second user. */
  subjectId: string;
  /** The normalized username. */
  username: string;
  email?: string;
  displayName?: string;
  givenName?: string;
  surname?: string;
  /** False when the legacy store marks the account disabled. */
  enabled?: boolean;
  /** Any further mapped attributes, by their target claim name. */
  attributes: Readonly<Record<string, unknown>>;
  /** For hash stores: what bulk migration needs to decide whether the password can be carried over. */
  credential?: StoredCredential;
  /** Opaque position in `list()` order; pass it as `ListOptions.after` to resume after this profile. */
  cursor?: string;
}

export interface ListOptions {
  /** Rows fetched per round trip. Implementations pick a default and cap it. */
  batchSize?: number;
  /** Resume after the profile whose `cursor` this is. */
  after?: string;
  signal?: AbortSignal;
}

/**
 * Reads legacy user profiles. `get` answers "does this legacy user exist?" (sign-up guards, password reset
 * before migration) and supplies claims after a valid sign-in; `list` streams every user for bulk
 * migration with memory flat in the number of users.
 */
export interface ProfileSource {
  readonly name: string;
  get(username: string, options?: { signal?: AbortSignal }): Promise<Profile | null>;
  list(options?: ListOptions): AsyncIterable<Profile>;
  /** How many users `list()` would yield, when the store can tell cheaply (progress and ETA of a bulk run). */
  count?(options?: { signal?: AbortSignal }): Promise<number>;
  close?(): Promise<void>;
}

/** What proves a user now lives in the new directory, handed to a store's write-back. */
export interface MigrationConfirmation {
  /** The new directory's object id for the user: write-back happens only after the new IdP confirmed it. */
  objectId: string;
  /** A new hash to store in place of a weak one, made after a valid sign-in (only where configured). */
  upgradedHash?: { scheme: string; hash: string };
}

/**
 * Optional write-back: a store that can record a completed migration (a flag, a timestamp, the new object
 * id, an upgraded hash) in one update of the user's row. It never deletes anything. Resolves true when a row
 * was updated, false when no row has this subject id.
 */
export interface MigrationWriteBack {
  markMigrated(subjectId: string, confirmation: MigrationConfirmation): Promise<boolean>;
}

/** Most stores verify and read profiles from the same place. */
export type UserStore = CredentialVerifier & ProfileSource;

/** A copy of the profile without its stored credential: the form that may be printed or sent on. */
export function publicProfile(profile: Profile): Omit<Profile, 'credential'> {
  const { credential: _credential, ...rest } = profile;
  return rest;
}
