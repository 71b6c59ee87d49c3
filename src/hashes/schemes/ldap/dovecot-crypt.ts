import type { HashScheme } from '../../types.js';
import { cryptShapes, identifiableCrypt } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const dovecotCrypt: HashScheme = wrappedScheme({
  id: 'dovecot_crypt',
  family: 'dovecot',
  prefix: 'CRYPT',
  shape: cryptShapes.anyCrypt,
  identifyShape: identifiableCrypt,
  summary: 'Dovecot (or OpenLDAP) {CRYPT} holding any other libc crypt(3) hash, e.g. yescrypt; the inner scheme is identified',
  example: '{CRYPT}$y$j9T$salt$hash',
  source: 'Dovecot doveadm pw (libxcrypt crypt())',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
