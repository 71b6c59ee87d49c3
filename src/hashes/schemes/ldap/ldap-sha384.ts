import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapSha384: HashScheme = prefixedDigestScheme({
  id: 'ldap_sha384',
  family: 'ldap',
  prefix: 'SHA384',
  algorithm: 'sha384',
  salted: false,
  encodings: ['base64'],
  summary: 'LDAP {SHA384}: unsalted SHA-384; OpenLDAP pw-sha2 module, 389-DS (rare)',
  source: 'OpenLDAP slappasswd with pw-sha2',
});
