import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotPlainMd4: HashScheme = prefixedDigestScheme({
  id: 'dovecot_plain_md4',
  family: 'dovecot',
  prefix: 'PLAIN-MD4',
  algorithm: 'md4',
  salted: false,
  encodings: ['hex', 'base64'],
  summary: 'Dovecot {PLAIN-MD4}: MD4 of the password bytes in hex (not the UTF-16 NT hash)',
  source: 'Dovecot doveadm pw',
});
