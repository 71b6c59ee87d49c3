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
 * - changeAfterReset: the bind succeeded but the server allows nothing but a password change.
 * Everything else gives `undefined` and the caller goes by the result code: a grace-login or expiry warning
 * comes with a successful bind (the caller may log it or ask for a reset), and the password-change errors
 * (passwordTooShort, passwordInHistory...) belong to a modify, not a bind.
 */
export function ppolicyOutcome(response: PasswordPolicyResponse): PasswordPolicyOutcome | undefined {
  switch (response.error) {
    case 'accountLocked':
      return { status: 'locked', by: 'legacy_store', detail: 'ppolicy: accountLocked' };
    case 'passwordExpired':
      return { status: 'password_expired', detail: 'ppolicy: passwordExpired' };
    case 'changeAfterReset':
      return { status: 'must_change', detail: 'ppolicy: changeAfterReset' };
    default:
      return undefined;
  }
}
