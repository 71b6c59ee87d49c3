import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapSha256: HashScheme = prefixedDigestScheme({
  id: 'ldap_sha256',
  family: 'ldap',
  prefix: 'SHA256',
  algorithm: 'sha256',
  salted: false,
  encodings: ['base64'],
  summary: 'LDAP {SHA256}: unsalted SHA-256; OpenLDAP pw-sha2 module, 389-DS',
  source: 'OpenLDAP slappasswd with pw-sha2',
});
