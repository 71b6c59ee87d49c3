/**
 * How an entry's `userPassword` values answer a password. One rule for the LDIF store and the LDAP store's
 * compare mode, so an export and the live directory read the same values the same way, and both the way slapd
 * does (docs/stores/ldap.md, "Several userPassword values").
 */
import { LegacyIdpError, isLegacyIdpError } from '../../core/errors.js';
import type { UnavailableOutcome } from '../../core/outcome.js';
import type { HashRegistry } from '../../hashes/registry.js';

/** The registry's clear-text scheme: the LDAP one when registered, else the generic one. */
const plaintextSchemeIds = ['ldap_plaintext', 'plaintext'];

/**
 * `{SCHEME}` at the start of a userPassword value; without one the value is clear text. slapd's lutil_passwd
 * uses the same test (a `{`, then a `}` at least one character later) and fails a value whose scheme it does
 * not know rather than comparing it as clear text.
 */
const schemePrefix = /^\{[^}]+\}/u;

/** userPassword is an octet string: a value that is not UTF-8 has no text a typed password could equal. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `{CRYPT}` around a shadow-style lock marker: `{CRYPT}!$6$...` (`usermod -L`/`passwd -l` put `!` before the
 * hash), `{CRYPT}!`, `{CRYPT}*`, `{CRYPT}*LK*`, or nothing at all. crypt(3) takes none of them as a salt, so
 * slapd never lets such a value bind; the `!` says why: the account was locked on purpose.
 */
const cryptLockMarker = /^\{crypt\}(?:$|[!*])/iu;

/**
 * One stored value, read once: the text and the scheme that checks it, a lock marker that refuses every password
 * (`disabled` says which, never quoting the value), or why nothing can check it.
 */
export type UserPasswordValue = { readonly value: string; readonly scheme: string } | { readonly disabled: string } | { readonly problem: LegacyIdpError };

/** What an entry's values say about a password; the store adds the subject id and the account's state. */
export type UserPasswordAnswer =
  | { readonly status: 'valid'; readonly scheme: string; readonly needsUpgrade: boolean }
  | { readonly status: 'disabled'; readonly detail: string }
  | { readonly status: 'invalid'; readonly reason: 'wrong_password'; readonly detail?: string }
  | UnavailableOutcome;

export interface UserPasswordSchemes {
  /** The scheme a value without a prefix goes to; undefined when the registry has no clear-text scheme. */
  readonly plaintext: string | undefined;
  /**
   * The registry scheme for one value, or undefined when no registered scheme verifies it. A value with a
   * `{SCHEME}` prefix goes to whichever scheme the registry identifies; a value without one is the clear
   * password (slapd compares it byte for byte), even if it looks like `$6$...`.
   */
  readonly schemeOf: (value: string) => string | undefined;
  /**
   * An entry's values as the rule reads them. Empty values hold no password and are left out. `label` starts the
   * message of a value's problem (`ldif: a userPassword value of the entry at LDIF line 12`); it never quotes
   * the value.
   */
  readonly read: (values: readonly (string | Buffer)[], label: string) => UserPasswordValue[];
  /** The password against the values `read` gave (at least one); see docs/stores/ldap.md for the rule. */
  readonly check: (password: string, values: readonly UserPasswordValue[], attribute: string) => Promise<UserPasswordAnswer>;
  /**
   * Why the values lock the account whatever password is typed (a `{CRYPT}!` lock marker, a disabled-account
   * marker scheme), as `check` answers `disabled` before comparing anything; undefined when nothing does. Profiles
   * read it too (`enabled: false`), so pre-migration does not create a locked account enabled.
   */
  readonly lockOf: (values: readonly UserPasswordValue[]) => string | undefined;
}

/**
 * Hash errors that belong to one stored value (its shape, its scheme, its cost, its missing context): that
 * value cannot be checked, the others still can. Any other failure (a full hash queue, a dead worker) says
 * nothing about any value, so it ends the check.
 */
const valueProblemCodes = new Set<string>([
  'ERR_LEGACY_IDP_HASH_MALFORMED',
  'ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME',
  'ERR_LEGACY_IDP_HASH_COST_LIMIT',
  'ERR_LEGACY_IDP_HASH_CONTEXT',
  'ERR_LEGACY_IDP_HASH_UNSUPPORTED',
]);

export function userPasswordSchemes(registry: HashRegistry): UserPasswordSchemes {
  const plaintext = plaintextSchemeIds.find((id) => registry.get(id) !== undefined);
  const schemeOf = (value: string): string | undefined => (schemePrefix.test(value) ? registry.identify(value)[0] : plaintext);

  function read(values: readonly (string | Buffer)[], label: string): UserPasswordValue[] {
    const readValues: UserPasswordValue[] = [];
    for (const raw of values) {
      let value: string;
      if (typeof raw === 'string') value = raw;
      else {
        try {
          value = utf8.decode(raw);
        } catch {
          // Decoding with replacement characters would make a value some typed password could equal.
          readValues.push({ problem: new LegacyIdpError('ERR_LEGACY_IDP_HASH_MALFORMED', `${label} is not UTF-8 text`) });
          continue;
        }
      }
      if (value === '') continue;
      // Before the registry: the {CRYPT} wrapper takes only real crypt(3) shapes, so `{CRYPT}!$6$...` would be an
      // unknown scheme (unavailable, or skipped next to another value that then signs in) instead of a lock.
      if (cryptLockMarker.test(value)) {
        readValues.push({ disabled: `{CRYPT} lock marker (${value.length > 7 ? value.charAt(7) : 'empty'})` });
        continue;
      }
      const scheme = schemeOf(value);
      if (scheme !== undefined) readValues.push({ value, scheme });
      else if (schemePrefix.test(value)) readValues.push({ problem: new LegacyIdpError('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME', `${label} has a scheme no registered scheme verifies`) });
      else readValues.push({ problem: new LegacyIdpError('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME', `${label} is clear text and the registry has no clear-text scheme`) });
    }
    return readValues;
  }

  function lockOf(values: readonly UserPasswordValue[]): string | undefined {
    for (const stored of values) {
      if ('disabled' in stored) return stored.disabled;
      if ('scheme' in stored && registry.get(stored.scheme)?.family === 'marker') return `${stored.scheme} disabled-account marker`;
    }
    return undefined;
  }

  async function check(password: string, values: readonly UserPasswordValue[], attribute: string): Promise<UserPasswordAnswer> {
    // A locked-account marker locks the entry wherever it stands: checked before any value could match.
    const lock = lockOf(values);
    if (lock !== undefined) return { status: 'disabled', detail: lock };
    let compared = 0;
    let problem: LegacyIdpError | undefined;
    let unchecked = 0;
    // Any value may match (a hash migration keeps the old and the new one; slapd accepts either): in stored
    // order, the first that matches decides.
    for (const stored of values) {
      if ('disabled' in stored) continue;
      if (!('scheme' in stored)) {
        problem ??= stored.problem;
        unchecked += 1;
        continue;
      }
      let result;
      try {
        result = await registry.verify(password, stored.value, { scheme: stored.scheme });
      } catch (error) {
        const typed = isLegacyIdpError(error) ? error : new LegacyIdpError('ERR_LEGACY_IDP_HASH_MALFORMED', `${stored.scheme} failed on a ${attribute} value`, { cause: error });
        // A full hash queue is no answer about this password: never let it read as a wrong one.
        if (typed.code === 'ERR_LEGACY_IDP_HASH_BUSY') return { status: 'unavailable', reason: 'overloaded', error: typed };
        if (!valueProblemCodes.has(typed.code)) return { status: 'unavailable', reason: 'backend_error', error: typed };
        problem ??= typed;
        unchecked += 1;
        continue;
      }
      if (result.disabled) return { status: 'disabled', detail: `${result.scheme} disabled-account marker` };
      if (result.valid) return { status: 'valid', scheme: result.scheme, needsUpgrade: result.needsUpgrade };
      compared += 1;
    }
    // Not one value could be checked, so the password was never compared: the operator must act, and a wrong
    // password it is not.
    if (compared === 0 && problem) return { status: 'unavailable', reason: 'misconfigured', error: problem };
    // At least one value was compared and refused the password: wrong, as slapd answers such a bind, even if a
    // value we cannot check might have held it. Unavailable would not count toward lockout, and an entry with
    // one unknown value would then give an attacker unlimited guesses at its other values.
    return unchecked === 0
      ? { status: 'invalid', reason: 'wrong_password' }
      : { status: 'invalid', reason: 'wrong_password', detail: `${unchecked} of ${compared + unchecked} ${attribute} values could not be checked (${problem?.code ?? 'unknown'})` };
  }

  return { plaintext, schemeOf, read, check, lockOf };
}
