import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const ldapBigcrypt: HashScheme = wrappedScheme({
  id: 'ldap_bigcrypt',
  family: 'ldap',
  prefix: 'CRYPT',
  inner: 'bigcrypt',
  shape: cryptShapes.bigcrypt,
  summary: 'LDAP {CRYPT} holding bigcrypt: what slappasswd writes on libxcrypt systems for passwords over 8 characters (finding 8)',
  example: '{CRYPT}ab01234567890 + 11 characters per further 8 password characters',
  source: 'OpenLDAP slappasswd -h {CRYPT} on libxcrypt',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
