/**
 * Which hash scheme checks a `userPassword` value. One rule for the LDIF store and the LDAP store's compare
 * mode, so an export and the live directory read the same value the same way, and both the way slapd does.
 */
import type { HashRegistry } from '../../hashes/registry.js';

/** The registry's clear-text scheme: the LDAP one when registered, else the generic one. */
const plaintextSchemeIds = ['ldap_plaintext', 'plaintext'];

/**
 * `{SCHEME}` at the start of a userPassword value; without one the value is clear text. slapd's lutil_passwd
 * uses the same test (a `{`, then a `}` at least one character later) and fails a value whose scheme it does
 * not know rather than comparing it as clear text.
 */
const schemePrefix = /^\{[^}]+\}/u;

export interface UserPasswordSchemes {
  /** The scheme a value without a prefix goes to; undefined when the registry has no clear-text scheme. */
  readonly plaintext: string | undefined;
  /**
   * The registry scheme for one value, or undefined when no registered scheme verifies it. A value with a
   * `{SCHEME}` prefix goes to whichever scheme the registry identifies; a value without one is the clear
   * password (slapd compares it byte for byte), even if it looks like `$6$...`.
   */
  readonly schemeOf: (value: string) => string | undefined;
}

export function userPasswordSchemes(registry: HashRegistry): UserPasswordSchemes {
  const plaintext = plaintextSchemeIds.find((id) => registry.get(id) !== undefined);
  return {
    plaintext,
    schemeOf: (value) => (schemePrefix.test(value) ? registry.identify(value)[0] : plaintext),
  };
}
