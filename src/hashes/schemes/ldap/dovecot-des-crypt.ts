import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const dovecotDesCrypt: HashScheme = wrappedScheme({
  id: 'dovecot_des_crypt',
  family: 'dovecot',
  prefix: 'DES-CRYPT',
  inner: 'des_crypt',
  shape: cryptShapes.des,
  summary: 'Dovecot {DES-CRYPT}: traditional DES crypt(3)',
  example: '{DES-CRYPT}ab01234567890',
  source: 'Dovecot doveadm pw',
  upgradeAdvice: 'DES crypt reads 8 characters of 7 bits: re-hash with argon2id or bcrypt at first sign-in.',
});
