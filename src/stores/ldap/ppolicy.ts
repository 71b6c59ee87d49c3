import { LegacyIdpError } from '../../core/errors.js';
import type { VerifyOutcome } from '../../core/outcome.js';

/**
 * The password policy response control (draft-behera-ldap-password-policy, section 6.2) that OpenLDAP's
 * ppolicy overlay, 389-DS/FreeIPA and OpenDJ attach to a bind response when the request carried the control:
 *
 *   PasswordPolicyResponseValue ::= SEQUENCE {
 *      warning [0] CHOICE {
 *         timeBeforeExpiration [0] INTEGER (0 .. maxInt),
 *         graceAuthNsRemaining [1] INTEGER (0 .. maxInt) } OPTIONAL,
 *      error   [1] ENUMERATED { passwordExpired (0), ... } OPTIONAL }
 *
 * The module uses implicit tags, except that a tagged CHOICE is always explicit: `warning` is a constructed
 * [0] (0xA0) around a primitive [0] or [1] (0x80 / 0x81), and `error` is a primitive [1] (0x81).
 *
 * The value arrives from the network, so the decoder is a small strict BER reader of its own: definite
 * lengths only, bounds checked before every read, and every failure the typed ERR_LEGACY_IDP_LDAP_DECODE.
 */

export const passwordPolicyControlOid = '1.3.6.1.4.1.42.2.27.8.5.1';

/** ENUMERATED values in order (0..9). passwordTooLong (9) is OpenLDAP's addition, known to libldap 2.5. */
export const passwordPolicyErrors = [
  'passwordExpired',
  'accountLocked',
  'changeAfterReset',
  'passwordModNotAllowed',
  'mustSupplyOldPassword',
  'insufficientPasswordQuality',
  'passwordTooShort',
  'passwordTooYoung',
  'passwordInHistory',
  'passwordTooLong',
] as const;

export type PasswordPolicyError = (typeof passwordPolicyErrors)[number];

export type PasswordPolicyWarning = { timeBeforeExpiration: number } | { graceAuthNsRemaining: number };

export interface PasswordPolicyResponse {
  warning?: PasswordPolicyWarning;
  error?: PasswordPolicyError;
}

const fail = (problem: string): LegacyIdpError =>
  new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `password policy response control: ${problem}`);

interface Element {
  tag: number;
  /** First content byte. */
  start: number;
  /** One past the last content byte. */
  end: number;
}

/** Lengths beyond 4 bytes would describe values larger than any LDAP message a client accepts. */
const maxLengthBytes = 4;

function readElement(bytes: Uint8Array, offset: number, limit: number): Element {
  if (offset >= limit) throw fail('truncated (missing tag)');
  const tag = bytes[offset] ?? 0;
  // Multi-byte tags never occur in this structure; refusing them keeps the reader small.
  if ((tag & 0x1f) === 0x1f) throw fail(`unsupported high tag number form (0x${tag.toString(16)})`);
  let position = offset + 1;
  if (position >= limit) throw fail('truncated (missing length)');
  const first = bytes[position] ?? 0;
  position += 1;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw fail('indefinite length is not allowed');
  } else {
    const count = first & 0x7f;
    if (count > maxLengthBytes) throw fail(`length of ${count} bytes is too long`);
    if (position + count > limit) throw fail('truncated (length bytes)');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[position + i] ?? 0);
    position += count;
  }
  if (length > limit - position) throw fail('truncated (content shorter than its length)');
  return { tag, start: position, end: position + length };
}

/** INTEGER (0 .. maxInt) and ENUMERATED share the encoding: big-endian two's complement. */
function readNonNegativeInteger(bytes: Uint8Array, element: Element, what: string): number {
  const length = element.end - element.start;
  if (length === 0) throw fail(`${what} is empty`);
  // maxInt (2^31 - 1) fits in 4 bytes; a fifth allows one redundant leading zero from a lax encoder.
  if (length > 5) throw fail(`${what} is longer than 5 bytes`);
  if (((bytes[element.start] ?? 0) & 0x80) !== 0) throw fail(`${what} is negative`);
  let value = 0;
  for (let i = element.start; i < element.end; i++) value = value * 256 + (bytes[i] ?? 0);
  if (value > 2 ** 31 - 1) throw fail(`${what} is above maxInt`);
  return value;
}

/** Decodes the control's value (the OCTET STRING's content, as ldapts hands it to a control's parser). */
export function decodePasswordPolicyResponse(value: Uint8Array): PasswordPolicyResponse {
  if (!((value as unknown) instanceof Uint8Array)) throw fail('value is not bytes');
  const sequence = readElement(value, 0, value.length);
  if (sequence.tag !== 0x30) throw fail(`expected a SEQUENCE (0x30), got 0x${sequence.tag.toString(16)}`);
  if (sequence.end !== value.length) throw fail('trailing bytes after the SEQUENCE');

  const response: PasswordPolicyResponse = {};
  let position = sequence.start;
  if (position < sequence.end && value[position] === 0xa0) {
    const warning = readElement(value, position, sequence.end);
    const choice = readElement(value, warning.start, warning.end);
    if (choice.end !== warning.end) throw fail('warning holds more than one element');
    if (choice.tag === 0x80) response.warning = { timeBeforeExpiration: readNonNegativeInteger(value, choice, 'timeBeforeExpiration') };
    else if (choice.tag === 0x81) response.warning = { graceAuthNsRemaining: readNonNegativeInteger(value, choice, 'graceAuthNsRemaining') };
    else throw fail(`unknown warning choice 0x${choice.tag.toString(16)}`);
    position = warning.end;
  }
  if (position < sequence.end && value[position] === 0x81) {
    const error = readElement(value, position, sequence.end);
    const code = readNonNegativeInteger(value, error, 'error');
    const name = passwordPolicyErrors[code];
    if (name === undefined) throw fail(`unknown error value ${code}`);
    response.error = name;
    position = error.end;
  }
  if (position !== sequence.end) throw fail(`unexpected element 0x${(value[position] ?? 0).toString(16)} in the SEQUENCE`);
  return response;
}

export type PasswordPolicyOutcome = Extract<VerifyOutcome, { status: 'locked' | 'password_expired' | 'must_change' }>;

/**
 * What the control says about a bind, when it says something the bind's result code does not:
 * - accountLocked: slapd answers it even to the right password (result 49), so it is the legacy store's lock;
 * - passwordExpired: sent (with result 49) only after the password checked out and no grace logins remain;
 * - changeAfterReset: the bind succeeded but the server allows nothing but a password change;
 * - a graceAuthNsRemaining warning on a bind that succeeded (`bindSucceeded`): the password has expired and
 *   the server let this bind in on one of its grace logins. It is `password_expired`, not `valid`: the user
 *   must choose a new password, and each check spends one of the directory's grace logins, so a `valid` here
 *   would turn into `password_expired` a few sign-ins later for no visible reason. On a failed bind the
 *   warning proves nothing about the password and is ignored.
 * Everything else gives `undefined` and the caller goes by the result code: a timeBeforeExpiration warning
 * comes with a good password that has not expired yet, and the password-change errors (passwordTooShort,
 * passwordInHistory...) belong to a modify, not a bind.
 */
export function ppolicyOutcome(response: PasswordPolicyResponse, options: { bindSucceeded?: boolean } = {}): PasswordPolicyOutcome | undefined {
  switch (response.error) {
    case 'accountLocked':
      return { status: 'locked', by: 'legacy_store', detail: 'ppolicy: accountLocked' };
    case 'passwordExpired':
      return { status: 'password_expired', detail: 'ppolicy: passwordExpired' };
    case 'changeAfterReset':
      return { status: 'must_change', detail: 'ppolicy: changeAfterReset' };
    default:
      break;
  }
  const warning = response.warning;
  if (options.bindSucceeded === true && warning !== undefined && 'graceAuthNsRemaining' in warning) {
    return { status: 'password_expired', detail: `ppolicy: password expired, grace login used (${warning.graceAuthNsRemaining} left)` };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Password age, for checks that do not bind (compare mode)

/**
 * RFC 4517 GeneralizedTime as ppolicy writes it (`20240131235959Z`, `20240131235959.123456Z`): minutes and
 * seconds may be left out, a fraction may follow with `.` or `,`, and the zone is `Z` or `+hhmm`/`-hhmm`.
 * Throws ERR_LEGACY_IDP_LDAP_DECODE (naming `what`, never the value) for anything else.
 */
export function parseGeneralizedTime(text: string, what: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d{1,9}))?(Z|[+-]\d{4})$/u.exec(typeof text === 'string' ? text.trim() : '');
  if (!match) throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `${what} is not a GeneralizedTime`);
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const parts = [year, month, day, hour, minute ?? '0', second ?? '0'].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `${what} is out of range`);
  // A fraction belongs to the last unit given (RFC 4517 3.3.13); only seconds carry one in practice.
  const unitMs = second !== undefined ? 1_000 : minute !== undefined ? 60_000 : 3_600_000;
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * unitMs;
  const offsetMinutes = zone === undefined || zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, Math.min(s, 59)));
  // Date.UTC reads years 0..99 as 1900..1999; ppolicy's administrative lock is the year 0000.
  date.setUTCFullYear(y);
  // 20230229 would roll over into March: a day the month does not have is out of range, not another day.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `${what} is out of range`);
  return new Date(date.getTime() + fractionMs - offsetMinutes * 60_000);
}

/** What compare mode reads from a pwdPolicy entry: the settings a bind would be judged by. */
export const passwordPolicyAttributes: readonly string[] = Object.freeze(['pwdMaxAge', 'pwdLockout', 'pwdLockoutDuration']);

/** The text of those attributes, as the policy entry holds them (absent: slapd's default). */
export interface PasswordPolicySettings {
  pwdMaxAge?: string | undefined;
  pwdLockout?: string | undefined;
  pwdLockoutDuration?: string | undefined;
}

function seconds(text: string, what: string): number {
  if (!/^\d{1,10}$/u.test(text.trim())) throw new LegacyIdpError('ERR_LEGACY_IDP_LDAP_DECODE', `${what} is not a non-negative integer`);
  return Number(text.trim());
}

/**
 * When a password expires under a ppolicy policy: pwdChangedTime plus the policy's pwdMaxAge (seconds).
 * `null` when it never does: no pwdMaxAge, pwdMaxAge 0, or no pwdChangedTime (slapd then does not age the
 * password either).
 */
export function passwordExpiresAt(pwdChangedTime: string | undefined, pwdMaxAge: string | undefined): Date | null {
  if (pwdMaxAge === undefined || pwdChangedTime === undefined) return null;
  const maxAgeSeconds = seconds(pwdMaxAge, 'pwdMaxAge');
  if (maxAgeSeconds === 0) return null;
  return new Date(parseGeneralizedTime(pwdChangedTime, 'pwdChangedTime').getTime() + maxAgeSeconds * 1_000);
}

/**
 * Whether slapd (2.5, measured) refuses a bind for this pwdAccountLockedTime under this policy. slapd keeps
 * writing the attribute after pwdMaxFailure failures when pwdLockout is FALSE, and leaves a lapsed one in
 * place until the next bind, so its presence alone is not a lock:
 * - pwdLockout not TRUE: no lock is enforced, not even the administrative 000001010000Z;
 * - 000001010000Z, or pwdLockoutDuration 0 (or absent): locked until an administrator unlocks;
 * - otherwise locked for pwdLockoutDuration seconds from the time written.
 */
export function lockoutInForce(pwdAccountLockedTime: string, policy: PasswordPolicySettings, now: number = Date.now()): boolean {
  if (policy.pwdLockout?.trim().toUpperCase() !== 'TRUE') return false;
  if (pwdAccountLockedTime.trim() === '000001010000Z') return true;
  const duration = policy.pwdLockoutDuration === undefined ? 0 : seconds(policy.pwdLockoutDuration, 'pwdLockoutDuration');
  if (duration === 0) return true;
  return parseGeneralizedTime(pwdAccountLockedTime, 'pwdAccountLockedTime').getTime() + duration * 1_000 > now;
}
