import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotSmd5: HashScheme = prefixedDigestScheme({
  id: 'dovecot_smd5',
  family: 'dovecot',
  prefix: 'SMD5',
  algorithm: 'md5',
  salted: true,
  encodings: ['base64'],
  summary: 'Dovecot {SMD5}: salted MD5 (the same layout as LDAP {SMD5})',
  source: 'Dovecot doveadm pw',
});
