import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const ldapBsdiCrypt: HashScheme = wrappedScheme({
  id: 'ldap_bsdi_crypt',
  family: 'ldap',
  prefix: 'CRYPT',
  inner: 'bsdi_crypt',
  shape: cryptShapes.bsdi,
  summary: 'LDAP {CRYPT} holding a BSDi extended-DES hash',
  example: '{CRYPT}_7C/.saltHASH...........',
  source: 'passlib ldap_bsdi_crypt',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
