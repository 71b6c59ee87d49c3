import { LegacyIdpError } from '../../core/errors.js';
import type { VerifyOutcome } from '../../core/outcome.js';

/**
 * Active Directory specifics that need no server: the sub-code in a failed bind's diagnostic text, and the
 * binary and integer attributes AD stores (objectGUID, objectSid, userAccountControl, FILETIME dates).
 */

// ---------------------------------------------------------------------------------------------------------
// Bind diagnostics

/** What AD (and Samba) put in the diagnostic message of a failed simple bind. */
export interface AdBindDiagnostic {
  /** The Win32 error in the `data` field, lower-case hex without leading zeros (`52e`, `775`). */
  subCode: string;
  /** The leading HRESULT-like code (`80090308` for AcceptSecurityContext failures), when present. */
  errorCode?: string;
  /** `DSID-0C09044E`: where in the DC the error was raised (useful in a support case, nothing else). */
  dsid?: string;
  /** `AcceptSecurityContext error` for bind failures. */
  comment?: string;
}

/**
 * `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 532, v2580`. Windows ends it
 * with a NUL and ldapts appends ` Code: 0x31`, so nothing is anchored at the end; the comment is matched
 * lazily because other AD comments contain commas.
 */
const diagnosticPattern = /(?:\b([0-9a-f]{8}):\s*)?LdapErr:\s*(DSID-[0-9a-f]+)\s*,\s*comment:\s*(.*?)\s*,\s*data\s+([0-9a-f]{1,8})\b/iu;

/** AD diagnostics are under 200 characters; a longer message is never scanned in full. */
const maxDiagnosticLength = 1024;

/** Parses AD's bind error text. Anything else (OpenLDAP's empty text, garbage) gives `undefined`. */
export function adBindDiagnostic(message: string): AdBindDiagnostic | undefined {
  if (typeof (message as unknown) !== 'string') return undefined;
  const match = diagnosticPattern.exec(message.slice(0, maxDiagnosticLength));
  if (!match) return undefined;
  const [, errorCode, dsid, comment, data] = match;
  if (data === undefined) return undefined;
  return {
    subCode: normalizeSubCode(data),
    ...(errorCode === undefined ? {} : { errorCode: errorCode.toLowerCase() }),
    ...(dsid === undefined ? {} : { dsid }),
    ...(comment === undefined ? {} : { comment }),
  };
}

function normalizeSubCode(code: string): string {
  const trimmed = code.trim().toLowerCase().replace(/^0x/u, '').replace(/^0+(?=[0-9a-f])/u, '');
  return trimmed;
}

/** The outcomes a failed AD bind can mean: never `valid`, never `unavailable` (a bind error is an answer). */
export type AdBindOutcome = Exclude<VerifyOutcome, { status: 'valid' } | { status: 'unavailable' }>;

/**
 * The sub-codes AD documents for simple-bind failures (result 49), with what a migration endpoint answers.
 * AD reports states other than 52e/525/775 only to a caller who gave the right password, which is why
 * `password_expired` and `must_change` may be trusted as proof of the password (outcome.ts).
 */
export const adSubCodes: Readonly<Record<string, { meaning: string; outcome: AdBindOutcome }>> = Object.freeze({
  // The catch-all: AD also answers 52e for an unknown user unless the DC is configured otherwise.
  '52e': { meaning: 'invalid credentials', outcome: { status: 'invalid', reason: 'wrong_password', detail: 'AD 52e: invalid credentials' } },
  '525': { meaning: 'user not found', outcome: { status: 'unknown_user', detail: 'AD 525: user not found' } },
  // 530 and 531 come only after a correct password. They are not `valid`: the directory refused this logon,
  // and migrating now would drop a restriction the new IdP cannot enforce. Nor `invalid`: the password was
  // right, so counting a lockout failure or asking the user to retype it would mislead. Nor `locked`: that
  // clears by itself or by an unlock, while 531 never clears for the migration server and 530 clears at an
  // hour we cannot compute. `disabled` (for now) it is; the detail tells the operator which restriction to
  // relax (logonHours, userWorkstations) for the migration window.
  '530': { meaning: 'logon not permitted at this time (logonHours)', outcome: { status: 'disabled', detail: 'AD 530: logon not permitted at this time (logonHours)' } },
  '531': { meaning: 'logon not permitted from this workstation (userWorkstations)', outcome: { status: 'disabled', detail: 'AD 531: logon not permitted from this workstation (userWorkstations)' } },
  '532': { meaning: 'password expired', outcome: { status: 'password_expired', detail: 'AD 532: password expired' } },
  '533': { meaning: 'account disabled', outcome: { status: 'disabled', detail: 'AD 533: account disabled' } },
  // The union has no "expired account" status or reason; an expired account cannot sign in, like a disabled one.
  '701': { meaning: 'account expired (accountExpires)', outcome: { status: 'disabled', detail: 'AD 701: account expired' } },
  '773': { meaning: 'user must reset password', outcome: { status: 'must_change', detail: 'AD 773: user must reset password' } },
  '775': { meaning: 'account locked out', outcome: { status: 'locked', by: 'legacy_store', detail: 'AD 775: account locked out' } },
});

/**
 * Maps an AD bind sub-code (from `adBindDiagnostic`) to an outcome. An unknown sub-code is `invalid`: the bind
 * failed and nothing says the password was right; the detail keeps the code for the operator.
 */
export function adSubCodeOutcome(code: string): AdBindOutcome {
  const subCode = normalizeSubCode(code);
  const known = Object.hasOwn(adSubCodes, subCode) ? adSubCodes[subCode] : undefined;
  if (known) return { ...known.outcome };
  return { status: 'invalid', reason: 'wrong_password', detail: `AD bind failed with unrecognized sub-code ${/^[0-9a-f]{1,8}$/u.test(subCode) ? subCode : '(malformed)'}` };
}

// ---------------------------------------------------------------------------------------------------------
// objectGUID / objectSid

const hexOf = (bytes: Iterable<number>): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

/**
 * objectGUID in the form AD tools print (`3f2504e0-4f89-11d3-9a0c-0305e82c3301`): the GUID structure stores
 * its first three fields little-endian, so those groups are byte-reversed; the last two are in byte order.
 */
export function decodeObjectGuid(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 16) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `objectGUID must be 16 bytes, got ${bytes instanceof Uint8Array ? bytes.length : typeof bytes}`);
  }
  // Copy before reversing: Buffer#slice is a view, and reversing it would rewrite the caller's bytes.
  const reversed = (start: number, end: number): string => hexOf(Array.from(bytes.subarray(start, end)).reverse());
  return `${reversed(0, 4)}-${reversed(4, 6)}-${reversed(6, 8)}-${hexOf(bytes.subarray(8, 10))}-${hexOf(bytes.subarray(10, 16))}`;
}

/**
 * objectSid (MS-DTYP 2.4.2) as `S-1-5-21-...`: revision (1), sub-authority count (at most 15), a 48-bit
 * big-endian identifier authority, then that many little-endian 32-bit sub-authorities. The authority is
 * decimal below 2^32 and `0x` plus 12 hex digits above, as MS-DTYP 2.4.2.1 prints it.
 */
export function decodeObjectSid(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', 'objectSid is shorter than its 8-byte header');
  }
  const revision = bytes[0] ?? 0;
  const count = bytes[1] ?? 0;
  if (revision !== 1) throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `objectSid has revision ${revision}, expected 1`);
  if (count > 15) throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `objectSid claims ${count} sub-authorities (at most 15)`);
  if (bytes.length !== 8 + 4 * count) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `objectSid with ${count} sub-authorities must be ${8 + 4 * count} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const authority = view.getUint16(2) * 2 ** 32 + view.getUint32(4);
  const authorityText = authority < 2 ** 32 ? String(authority) : `0x${authority.toString(16).toUpperCase().padStart(12, '0')}`;
  const parts = ['S', String(revision), authorityText];
  for (let i = 0; i < count; i++) parts.push(String(view.getUint32(8 + 4 * i, true)));
  return parts.join('-');
}

// ---------------------------------------------------------------------------------------------------------
// userAccountControl

/** The documented userAccountControl bits (MS-ADTS 2.2.16, "How to use UserAccountControl flags"). */
export const userAccountControlBits = Object.freeze({
  SCRIPT: 0x1,
  ACCOUNTDISABLE: 0x2,
  HOMEDIR_REQUIRED: 0x8,
  LOCKOUT: 0x10,
  PASSWD_NOTREQD: 0x20,
  PASSWD_CANT_CHANGE: 0x40,
  ENCRYPTED_TEXT_PWD_ALLOWED: 0x80,
  TEMP_DUPLICATE_ACCOUNT: 0x100,
  NORMAL_ACCOUNT: 0x200,
  INTERDOMAIN_TRUST_ACCOUNT: 0x800,
  WORKSTATION_TRUST_ACCOUNT: 0x1000,
  SERVER_TRUST_ACCOUNT: 0x2000,
  DONT_EXPIRE_PASSWORD: 0x10000,
  MNS_LOGON_ACCOUNT: 0x20000,
  SMARTCARD_REQUIRED: 0x40000,
  TRUSTED_FOR_DELEGATION: 0x80000,
  NOT_DELEGATED: 0x100000,
  USE_DES_KEY_ONLY: 0x200000,
  DONT_REQ_PREAUTH: 0x400000,
  PASSWORD_EXPIRED: 0x800000,
  TRUSTED_TO_AUTH_FOR_DELEGATION: 0x1000000,
  PARTIAL_SECRETS_ACCOUNT: 0x4000000,
});

export interface UserAccountControlFlags {
  /** The value as an unsigned 32-bit integer. */
  value: number;
  disabled: boolean;
  /**
   * Current AD no longer maintains LOCKOUT and PASSWORD_EXPIRED in the stored userAccountControl: read the
   * constructed `msDS-User-Account-Control-Computed` (same bits) for them.
   */
  locked: boolean;
  passwordExpired: boolean;
  passwordNotRequired: boolean;
  /** Never stored either (it is an ACE on the object); kept for values that carry it. */
  passwordCantChange: boolean;
  passwordNeverExpires: boolean;
  /** Reversible encryption allowed: the password may be recoverable by a domain admin. */
  encryptedTextPasswordAllowed: boolean;
  smartcardRequired: boolean;
  normalAccount: boolean;
  tempDuplicateAccount: boolean;
  interdomainTrustAccount: boolean;
  workstationTrustAccount: boolean;
  serverTrustAccount: boolean;
  /** A person's account, as opposed to a computer, trust or template: the ones a migration moves. */
  isUserAccount: boolean;
}

function parseInteger32(value: number | string, what: string): number {
  const number = typeof value === 'string' && /^-?\d{1,10}$/u.test(value.trim()) ? Number(value.trim()) : value;
  // LDAP INTEGER text is signed: a value with bit 31 set may come back negative.
  if (typeof number !== 'number' || !Number.isInteger(number) || number < -(2 ** 31) || number >= 2 ** 32) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `${what} is not a 32-bit integer`);
  }
  return number >>> 0;
}

/** Decodes userAccountControl (or msDS-User-Account-Control-Computed), given as a number or LDAP text. */
export function userAccountControlFlags(value: number | string): UserAccountControlFlags {
  const uac = parseInteger32(value, 'userAccountControl');
  const has = (bit: number): boolean => (uac & bit) !== 0;
  const bits = userAccountControlBits;
  const normalAccount = has(bits.NORMAL_ACCOUNT);
  const trust = has(bits.INTERDOMAIN_TRUST_ACCOUNT) || has(bits.WORKSTATION_TRUST_ACCOUNT) || has(bits.SERVER_TRUST_ACCOUNT);
  return {
    value: uac,
    disabled: has(bits.ACCOUNTDISABLE),
    locked: has(bits.LOCKOUT),
    passwordExpired: has(bits.PASSWORD_EXPIRED),
    passwordNotRequired: has(bits.PASSWD_NOTREQD),
    passwordCantChange: has(bits.PASSWD_CANT_CHANGE),
    passwordNeverExpires: has(bits.DONT_EXPIRE_PASSWORD),
    encryptedTextPasswordAllowed: has(bits.ENCRYPTED_TEXT_PWD_ALLOWED),
    smartcardRequired: has(bits.SMARTCARD_REQUIRED),
    normalAccount,
    tempDuplicateAccount: has(bits.TEMP_DUPLICATE_ACCOUNT),
    interdomainTrustAccount: has(bits.INTERDOMAIN_TRUST_ACCOUNT),
    workstationTrustAccount: has(bits.WORKSTATION_TRUST_ACCOUNT),
    serverTrustAccount: has(bits.SERVER_TRUST_ACCOUNT),
    isUserAccount: normalAccount && !trust,
  };
}

// ---------------------------------------------------------------------------------------------------------
// FILETIME

/** 100-ns intervals between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
const fileTimeUnixEpoch = 116_444_736_000_000_000n;
const fileTimeNever = 0x7fff_ffff_ffff_ffffn;

/**
 * accountExpires, pwdLastSet, lastLogonTimestamp, lockoutTime: FILETIME (100-ns ticks since 1601, UTC) as
 * LDAP integer text. 0 and 2^63-1 both mean "never" for accountExpires and give `null`; for pwdLastSet, 0
 * means "must change at next logon", so test the text for `0` before calling this if that matters. BigInt,
 * because the values exceed 2^53.
 */
export function fileTimeToDate(value: string | bigint): Date | null {
  let ticks: bigint;
  if (typeof value === 'bigint') ticks = value;
  else if (typeof value === 'string' && /^-?\d{1,20}$/u.test(value.trim())) ticks = BigInt(value.trim());
  else throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', 'FILETIME value is not an integer');
  if (ticks === 0n || ticks === fileTimeNever) return null;
  if (ticks < 0n || ticks > fileTimeNever) throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', 'FILETIME value is out of range');
  // Whole milliseconds, rounded down (BigInt division truncates toward zero, which is up before 1970).
  const sinceUnix = ticks - fileTimeUnixEpoch;
  const ms = sinceUnix / 10_000n - (sinceUnix % 10_000n < 0n ? 1n : 0n);
  return new Date(Number(ms));
}
