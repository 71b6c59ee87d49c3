import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotPlainMd5: HashScheme = prefixedDigestScheme({
  id: 'dovecot_plain_md5',
  family: 'dovecot',
  prefix: 'PLAIN-MD5',
  algorithm: 'md5',
  salted: false,
  encodings: ['hex', 'base64'],
  summary: 'Dovecot {PLAIN-MD5}: unsalted MD5 in hex',
  source: 'Dovecot doveadm pw',
});
