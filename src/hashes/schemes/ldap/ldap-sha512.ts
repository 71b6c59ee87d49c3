import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapSha512: HashScheme = prefixedDigestScheme({
  id: 'ldap_sha512',
  family: 'ldap',
  prefix: 'SHA512',
  algorithm: 'sha512',
  salted: false,
  encodings: ['base64'],
  summary: 'LDAP {SHA512}: unsalted SHA-512; OpenLDAP pw-sha2 module, 389-DS',
  source: 'OpenLDAP slappasswd with pw-sha2',
});
