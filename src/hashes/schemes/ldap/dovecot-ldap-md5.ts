import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotLdapMd5: HashScheme = prefixedDigestScheme({
  id: 'dovecot_ldap_md5',
  family: 'dovecot',
  prefix: 'LDAP-MD5',
  algorithm: 'md5',
  salted: false,
  encodings: ['base64', 'hex'],
  summary: "Dovecot {LDAP-MD5}: unsalted MD5 in base64, Dovecot's name for LDAP {MD5}",
  source: 'Dovecot doveadm pw',
});
