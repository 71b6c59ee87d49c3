import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const ldapDesCrypt: HashScheme = wrappedScheme({
  id: 'ldap_des_crypt',
  family: 'ldap',
  prefix: 'CRYPT',
  inner: 'des_crypt',
  shape: cryptShapes.des,
  summary: 'LDAP {CRYPT} holding a traditional DES crypt(3) hash; old OpenLDAP and NIS migrations',
  example: '{CRYPT}ab01234567890',
  source: 'OpenLDAP slappasswd -h {CRYPT}; passlib ldap_des_crypt',
  upgradeAdvice: 'DES crypt reads 8 characters of 7 bits: re-hash with argon2id or bcrypt at first sign-in.',
});
