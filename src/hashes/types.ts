/**
 * The hash-scheme contract. A scheme is one legacy password-hash format: it recognizes its stored strings,
 * verifies a password against one, and (for schemes worth creating today) makes new hashes. The registry
 * (registry.ts) decides where a verification runs (inline, libuv threadpool behind a semaphore, or the
 * worker pool), applies work-factor limits, and turns every malformed input into a typed error.
 */

export type HashFamily =
  | 'bcrypt'
  | 'argon2'
  | 'pbkdf2'
  | 'scrypt'
  | 'crypt'
  | 'ldap'
  | 'dovecot'
  | 'digest'
  | 'application'
  | 'database'
  | 'windows'
  | 'network'
  | 'marker'
  | 'plaintext';

/**
 * Where verification runs:
 * - `inline`: a few digest calls (well under a millisecond); runs on the calling thread.
 * - `threadpool`: native async work on libuv's pool (node:crypto pbkdf2/scrypt, native argon2/bcrypt);
 *   gated by a FIFO semaphore so hashes never starve fs/dns work.
 * - `worker`: CPU-heavy pure JavaScript (bcryptjs, crypt(3) round loops); runs in the worker pool so the
 *   event loop stays free and every core is used.
 */
export type Execution = 'inline' | 'threadpool' | 'worker';

/** Per-user or per-site inputs a scheme needs besides the hash (salt column, user name, pepper...). */
export type HashContext = Readonly<Record<string, unknown>>;

/** Caps on work factors read from stored hashes: a corrupt row must fail fast, not hang the process. */
export interface HashLimits {
  /** PBKDF2 iterations (any PRF). */
  maxPbkdf2Iterations: number;
  /** bcrypt log2 cost. */
  maxBcryptCost: number;
  /** Rounds of crypt(3)-style loops: sha256/sha512-crypt `rounds=`, sha1_crypt, sun_md5_crypt, phpass/drupal log2 expanded, bsdi. */
  maxCryptRounds: number;
  /** scrypt memory, 128 * N * r bytes. */
  maxScryptMemoryBytes: number;
  /** argon2 memory in KiB. */
  maxArgon2MemoryKiB: number;
  /** argon2 time cost (passes). */
  maxArgon2Passes: number;
  /** argon2 lanes. */
  maxArgon2Parallelism: number;
  /**
   * argon2 memory (KiB) times passes: what one check costs, since the time grows with both. Each cap alone
   * would still admit 1 GiB at 64 passes (half a minute, and 1 GiB held, per check).
   */
  maxArgon2WorkKiB: number;
  /**
   * yescrypt (and gost_yescrypt) memory, 128 * N * r bytes, times the passes over it: 4/3 at t=0, 5/3 at
   * t=1, t from t=2 (yescrypt's loop counts). The pure-JavaScript yescrypt runs at about 17 ms per MiB pass.
   */
  maxYescryptWorkBytes: number;
  /** Password length in UTF-8 bytes; longer input is rejected before any hashing. */
  maxPasswordBytes: number;
}

/** What `verify` returns: a verdict, or `disabled` for locked-account markers (`!`, `*`, `!<hash>`). */
export type SchemeVerdict = boolean | 'disabled';

export interface SchemeVerifyArgs {
  password: string;
  hash: string;
  context: HashContext;
  limits: HashLimits;
  /**
   * Verifies a password against an inner hash through the registry: wrappers such as `{CRYPT}`,
   * `{BLF-CRYPT}`, Django's `bcrypt$` or Spring's `{bcrypt}` are built from the inner scheme this way.
   * Without `scheme`, the inner hash is identified.
   */
  verifyInner(password: string, hash: string, scheme?: string, context?: HashContext): Promise<boolean>;
}

export interface HashScheme {
  /** passlib's handler name where passlib has the format, else `<product>_<variant>`. */
  readonly id: string;
  readonly family: HashFamily;
  /** One line: what the format is and who stores it. */
  readonly summary: string;
  /** The stored shape, for docs and error messages (never a real hash). */
  readonly example: string;
  /** Context keys the scheme reads (`salt`, `user`, ...); required ones are checked before verify. */
  readonly contextKeys?: readonly { key: string; required: boolean; description: string }[];
  /** The implementation that owns the format and decides disputes (docs/hashes.md). */
  readonly source: string;
  readonly execution: Execution;
  /**
   * An optional native backend that, once loaded, moves the scheme from the worker pool to libuv's threadpool
   * (bcrypt with @node-rs/bcrypt: its async API runs at C speed behind the gate, synchronous calls in workers
   * lose 15-20%). `loaded()` is checked per call and must be cheap.
   */
  readonly threadpoolWith?: { readonly backend: string; loaded(): boolean };
  /** What to do with users stored in this format once they migrate. */
  readonly upgradeAdvice: string;
  /**
   * Recognizes the scheme's stored strings. Absent for schemes that cannot be told apart from the string
   * alone (bare hex digests): those are used only when the caller names the scheme.
   */
  identify?(hash: string): boolean;
  verify(args: SchemeVerifyArgs): SchemeVerdict | Promise<SchemeVerdict>;
  /** The stored hash is weak or below today's parameters. Absent: true unless the scheme can `hash`. */
  needsUpgrade?(hash: string): boolean;
  /** Makes a new hash; only for schemes worth creating today (bcrypt, argon2id, scrypt, PBKDF2-SHA256). */
  hash?(password: string, options: Readonly<Record<string, unknown>>, limits: HashLimits): Promise<string>;
}

/** The registry's answer to `verify`. */
export interface HashVerifyResult {
  valid: boolean;
  /** The scheme that decided. */
  scheme: string;
  /** The stored hash should be replaced by a modern one after this (successful) sign-in. */
  needsUpgrade: boolean;
  /** The stored value is a disabled-account marker: it never verifies. */
  disabled: boolean;
}
