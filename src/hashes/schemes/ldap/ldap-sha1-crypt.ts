import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const ldapSha1Crypt: HashScheme = wrappedScheme({
  id: 'ldap_sha1_crypt',
  family: 'ldap',
  prefix: 'CRYPT',
  inner: 'sha1_crypt',
  shape: cryptShapes.sha1,
  summary: 'LDAP {CRYPT} holding a NetBSD sha1crypt $sha1$ hash (rare)',
  example: '{CRYPT}$sha1$rounds$salt$hash',
  source: 'passlib ldap_sha1_crypt',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
