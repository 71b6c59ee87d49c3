import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapSha1: HashScheme = prefixedDigestScheme({
  id: 'ldap_sha1',
  family: 'ldap',
  prefix: 'SHA',
  algorithm: 'sha1',
  salted: false,
  encodings: ['base64'],
  summary: 'LDAP {SHA}: unsalted SHA-1 in base64; OpenLDAP, htpasswd -s, Spring LdapShaPasswordEncoder',
  source: 'OpenLDAP slappasswd; passlib ldap_sha1',
});
