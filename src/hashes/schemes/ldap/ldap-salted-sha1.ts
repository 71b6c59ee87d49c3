import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

/** RFC 2307-style `{SSHA}base64(sha1(password + salt) + salt)`; prefix case varies in the wild (Spring). */
export const ldapSaltedSha1: HashScheme = prefixedDigestScheme({
  id: 'ldap_salted_sha1',
  family: 'ldap',
  prefix: 'SSHA',
  algorithm: 'sha1',
  salted: true,
  encodings: ['base64'],
  summary: 'LDAP {SSHA}: salted SHA-1, the OpenLDAP default; also 389-DS and Spring LdapShaPasswordEncoder',
  source: 'OpenLDAP slappasswd; passlib ldap_salted_sha1',
});
