import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const ldapSha512Crypt: HashScheme = wrappedScheme({
  id: 'ldap_sha512_crypt',
  family: 'ldap',
  prefix: 'CRYPT',
  inner: 'sha512_crypt',
  shape: cryptShapes.sha512,
  summary: 'LDAP {CRYPT} holding a SHA-512-crypt $6$ hash; common in FreeIPA/sssd-era directories',
  example: '{CRYPT}$6$[rounds=N$]salt$hash',
  source: "OpenLDAP slappasswd -c '$6$%.16s'; passlib ldap_sha512_crypt",
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
