import type { HashScheme } from '../../types.js';
import { bcrypt } from '../bcrypt/bcrypt.js';
import { bcrypt2x } from '../bcrypt/bcrypt-2x.js';
import { aprMd5Crypt } from '../crypt/apr-md5-crypt.js';
import { crypt16 } from '../crypt/crypt16.js';
import { cryptSchemes } from '../crypt/index.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

/**
 * What Dovecot's {CRYPT} can hold: the hashing methods of libxcrypt's crypt() (crypt(5)), in the registry's
 * identify order. Not `$apr1$` (Apache's, no libc has it), not crypt16 (passlib only), and none of the other
 * `$id$` strings in the registry (Kratos `$md5$pf=`, `$pbkdf2$`, `$scrypt$`, argon2, Cisco `$8$`/`$9$`,
 * WordPress `$wp$`): crypt() refuses them, so Dovecot never verifies them.
 */
const notInLibxcrypt: ReadonlySet<HashScheme> = new Set([aprMd5Crypt, crypt16]);
const libxcryptSchemes: readonly HashScheme[] = [bcrypt, bcrypt2x, ...cryptSchemes.filter((scheme) => !notInLibxcrypt.has(scheme))];

export const dovecotCrypt: HashScheme = wrappedScheme({
  id: 'dovecot_crypt',
  family: 'dovecot',
  prefix: 'CRYPT',
  inner: libxcryptSchemes,
  shape: cryptShapes.anyCrypt,
  summary: 'Dovecot (or OpenLDAP) {CRYPT} holding any other libc crypt(3) hash, e.g. yescrypt; the inner scheme is identified among the libxcrypt methods only',
  example: '{CRYPT}$y$j9T$salt$hash',
  source: 'Dovecot doveadm pw (libxcrypt crypt())',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
