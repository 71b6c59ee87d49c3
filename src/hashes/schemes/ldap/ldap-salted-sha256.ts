import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const ldapSaltedSha256: HashScheme = prefixedDigestScheme({
  id: 'ldap_salted_sha256',
  family: 'ldap',
  prefix: 'SSHA256',
  algorithm: 'sha256',
  salted: true,
  encodings: ['base64'],
  summary: 'LDAP {SSHA256}: salted SHA-256; OpenLDAP pw-sha2, 389-DS, Ory Kratos import (any salt length: finding 6)',
  source: 'OpenLDAP slappasswd with pw-sha2; passlib ldap_salted_sha256',
});
