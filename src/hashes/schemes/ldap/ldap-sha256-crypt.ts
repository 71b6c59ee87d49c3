import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const ldapSha256Crypt: HashScheme = wrappedScheme({
  id: 'ldap_sha256_crypt',
  family: 'ldap',
  prefix: 'CRYPT',
  inner: 'sha256_crypt',
  shape: cryptShapes.sha256,
  summary: 'LDAP {CRYPT} holding a SHA-256-crypt $5$ hash',
  example: '{CRYPT}$5$[rounds=N$]salt$hash',
  source: "OpenLDAP slappasswd -c '$5$%.16s'; passlib ldap_sha256_crypt",
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
