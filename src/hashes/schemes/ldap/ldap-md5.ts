import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapMd5: HashScheme = prefixedDigestScheme({
  id: 'ldap_md5',
  family: 'ldap',
  prefix: 'MD5',
  algorithm: 'md5',
  salted: false,
  encodings: ['base64'],
  summary: 'LDAP {MD5}: unsalted MD5 in base64; OpenLDAP, 389-DS, AD LDS',
  source: 'OpenLDAP slappasswd; passlib ldap_md5',
});
