/**
 * Every error this library throws is a LegacyIdpError with a stable string `code`.
 * Ordinary outcomes (wrong password, unknown user, locked) are values, never errors.
 * The table below is the single list of codes; docs/errors.md documents each one and a test keeps the
 * two in step.
 */
export const errorCodes = {
  ERR_LEGACY_IDP_CONFIG_INVALID: 'Options or a config file failed validation; the message names the key.',
  ERR_LEGACY_IDP_CONFIG_FILE: 'A config or data file could not be read or is not valid JSON.',
  ERR_LEGACY_IDP_MISSING_DEPENDENCY: 'An optional package needed by the chosen backend is not installed.',
  ERR_LEGACY_IDP_BACKEND_UNAVAILABLE: 'The legacy store failed (down, timeout, TLS, bad service credentials).',
  ERR_LEGACY_IDP_DEADLINE_EXCEEDED: 'The caller\'s deadline passed before the answer was known.',
  ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE: 'The lockout store failed, so the attempt could not be reserved.',
  ERR_LEGACY_IDP_INVALID_INPUT: 'A programmer passed an argument of the wrong shape to a library function.',
  ERR_LEGACY_IDP_CLOSED: 'The component was used after close().',
  ERR_LEGACY_IDP_USAGE: 'The command line was used wrongly (unknown command or flag, missing value).',
  ERR_LEGACY_IDP_HASH_MALFORMED: 'A stored hash does not have the shape its scheme requires.',
  ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME: 'No registered scheme has this id, or none recognizes the hash.',
  ERR_LEGACY_IDP_HASH_COST_LIMIT: 'A work factor read from a stored hash is above the configured cap.',
  ERR_LEGACY_IDP_HASH_CONTEXT: 'The scheme needs a context value (salt, user name, key) that was not given.',
  ERR_LEGACY_IDP_HASH_BUSY: 'Too many hash computations are queued; the caller should retry later.',
  ERR_LEGACY_IDP_HASH_DUPLICATE_SCHEME: 'A scheme with this id is already registered.',
  ERR_LEGACY_IDP_HASH_UNSUPPORTED: 'The scheme cannot do this (e.g. create new hashes).',
  ERR_LEGACY_IDP_LDAP_DECODE: 'A value read from a directory (response control, objectGUID, objectSid, FILETIME) has the wrong shape.',
  ERR_LEGACY_IDP_LDIF_INVALID: 'An LDIF file is malformed, exceeds a size limit, or refers to an external file or URL.',
  ERR_LEGACY_IDP_GRAPH_ERROR: 'Microsoft Graph refused a request (a 4xx answer such as Request_BadRequest or ObjectConflict).',
  ERR_LEGACY_IDP_GRAPH_UNAVAILABLE: 'Microsoft Graph could not be reached or kept failing (timeout, network, 429/5xx after the retries).',
  ERR_LEGACY_IDP_GRAPH_AUTH: 'The token endpoint refused the app\'s credentials, or Graph kept refusing a fresh token.',
  ERR_LEGACY_IDP_OUTPUT_FILE: 'An output file (the pre-migration JSONL payload file) could not be created, read back or written.',
  ERR_LEGACY_IDP_DECRYPT_FAILED: 'A reversibly encrypted legacy password did not decrypt (wrong key or algorithm, or a corrupt value).',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface LegacyIdpErrorOptions {
  cause?: unknown;
  /** Dotted path of the offending config key, for ERR_LEGACY_IDP_CONFIG_INVALID. */
  path?: string;
}

export class LegacyIdpError extends Error {
  override readonly name = 'LegacyIdpError';
  readonly code: ErrorCode;
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, options: LegacyIdpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
  }

  /**
   * What may cross a process or network boundary: code and message only. Causes stay in-process because
   * driver errors can quote connection strings; the message is always written by this library.
   */
  toJSON(): { name: string; code: ErrorCode; message: string; path?: string } {
    return this.path === undefined
      ? { name: this.name, code: this.code, message: this.message }
      : { name: this.name, code: this.code, message: this.message, path: this.path };
  }
}

export function isLegacyIdpError(value: unknown, code?: ErrorCode): value is LegacyIdpError {
  return value instanceof LegacyIdpError && (code === undefined || value.code === code);
}

/** Turns anything thrown into an Error without leaking non-Error values through rejections. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : `non-Error value thrown: ${typeof value}`);
}
