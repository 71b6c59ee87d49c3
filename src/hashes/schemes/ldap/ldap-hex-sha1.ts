import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapHexSha1: HashScheme = prefixedDigestScheme({
  id: 'ldap_hex_sha1',
  family: 'ldap',
  prefix: 'SHA',
  algorithm: 'sha1',
  salted: false,
  encodings: ['hex'],
  summary: 'LDAP {SHA} written as 40 hex digits: a non-standard variant some applications store (hash-formats.md finding 5)',
  source: 'passlib ldap_hex_sha1',
});
