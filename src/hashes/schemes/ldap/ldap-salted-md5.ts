import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapSaltedMd5: HashScheme = prefixedDigestScheme({
  id: 'ldap_salted_md5',
  family: 'ldap',
  prefix: 'SMD5',
  algorithm: 'md5',
  salted: true,
  encodings: ['base64'],
  summary: 'LDAP {SMD5}: salted MD5; OpenLDAP and 389-DS',
  source: 'OpenLDAP slappasswd; passlib ldap_salted_md5',
});
