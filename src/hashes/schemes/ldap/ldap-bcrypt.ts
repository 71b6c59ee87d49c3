import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const ldapBcrypt: HashScheme = wrappedScheme({
  id: 'ldap_bcrypt',
  family: 'ldap',
  prefix: 'CRYPT',
  inner: 'bcrypt',
  shape: cryptShapes.bcrypt,
  summary: 'LDAP {CRYPT} holding a bcrypt $2a$/$2b$/$2y$ hash',
  example: '{CRYPT}$2b$12$22-char-salt31-char-hash',
  source: 'passlib ldap_bcrypt; libxcrypt crypt()',
  upgradeAdvice: 'bcrypt inside {CRYPT}: keep, or re-hash with argon2id at first sign-in.',
});
