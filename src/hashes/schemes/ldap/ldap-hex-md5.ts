import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapHexMd5: HashScheme = prefixedDigestScheme({
  id: 'ldap_hex_md5',
  family: 'ldap',
  prefix: 'MD5',
  algorithm: 'md5',
  salted: false,
  encodings: ['hex'],
  summary: 'LDAP {MD5} written as 32 hex digits: a non-standard variant of some applications',
  source: 'passlib ldap_hex_md5',
});
