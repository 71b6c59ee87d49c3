import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const ldapMd5Crypt: HashScheme = wrappedScheme({
  id: 'ldap_md5_crypt',
  family: 'ldap',
  prefix: 'CRYPT',
  inner: 'md5_crypt',
  shape: cryptShapes.md5,
  summary: 'LDAP {CRYPT} holding an MD5-crypt $1$ hash; very common in OpenLDAP directories',
  example: '{CRYPT}$1$salt$hash',
  source: "OpenLDAP slappasswd -c '$1$%.8s'; passlib ldap_md5_crypt",
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
