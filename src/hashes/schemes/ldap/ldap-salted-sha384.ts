import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapSaltedSha384: HashScheme = prefixedDigestScheme({
  id: 'ldap_salted_sha384',
  family: 'ldap',
  prefix: 'SSHA384',
  algorithm: 'sha384',
  salted: true,
  encodings: ['base64'],
  summary: 'LDAP {SSHA384}: salted SHA-384; OpenLDAP pw-sha2, 389-DS (rare)',
  source: 'OpenLDAP slappasswd with pw-sha2',
});
