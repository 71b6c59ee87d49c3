import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const dovecotBlfCrypt: HashScheme = wrappedScheme({
  id: 'dovecot_blf_crypt',
  family: 'dovecot',
  prefix: 'BLF-CRYPT',
  inner: 'bcrypt',
  shape: cryptShapes.bcrypt,
  summary: 'Dovecot {BLF-CRYPT}: bcrypt ($2y$ from doveadm)',
  example: '{BLF-CRYPT}$2y$05$22-char-salt31-char-hash',
  source: 'Dovecot doveadm pw',
  upgradeAdvice: 'bcrypt inside {BLF-CRYPT}: keep, or re-hash with argon2id at first sign-in.',
});
