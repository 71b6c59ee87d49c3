import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const dovecotMd5Crypt: HashScheme = wrappedScheme({
  id: 'dovecot_md5_crypt',
  family: 'dovecot',
  prefix: 'MD5-CRYPT',
  inner: 'md5_crypt',
  shape: cryptShapes.md5,
  summary: 'Dovecot {MD5-CRYPT}: MD5-crypt $1$; very common in old mail setups',
  example: '{MD5-CRYPT}$1$salt$hash',
  source: 'Dovecot doveadm pw',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
