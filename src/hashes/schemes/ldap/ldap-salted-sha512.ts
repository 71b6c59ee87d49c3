import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapSaltedSha512: HashScheme = prefixedDigestScheme({
  id: 'ldap_salted_sha512',
  family: 'ldap',
  prefix: 'SSHA512',
  algorithm: 'sha512',
  salted: true,
  encodings: ['base64'],
  summary: 'LDAP {SSHA512}: salted SHA-512; OpenLDAP pw-sha2, 389-DS, Ory Kratos import',
  source: 'OpenLDAP slappasswd with pw-sha2; passlib ldap_salted_sha512',
});
