import type { HashScheme } from '../../types.js';
import { bcrypt } from '../bcrypt/bcrypt.js';
import { bcrypt2x } from '../bcrypt/bcrypt-2x.js';
import { bigcrypt } from '../crypt/bigcrypt.js';
import { bsdNthash } from '../crypt/bsd-nthash.js';
import { bsdiCrypt } from '../crypt/bsdi-crypt.js';
import { desCrypt } from '../crypt/des-crypt.js';
import { gostYescrypt } from '../crypt/gost-yescrypt.js';
import { md5Crypt } from '../crypt/md5-crypt.js';
import { scryptCrypt7 } from '../crypt/scrypt-crypt7.js';
import { sha1Crypt } from '../crypt/sha1-crypt.js';
import { sha256Crypt } from '../crypt/sha256-crypt.js';
import { sha512Crypt } from '../crypt/sha512-crypt.js';
import { sunMd5Crypt } from '../crypt/sun-md5-crypt.js';
import { yescrypt } from '../crypt/yescrypt.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

/**
 * What Dovecot's {CRYPT} can hold: the hashing methods of libxcrypt's crypt() (crypt(5)), in the registry's
 * identify order. Not `$apr1$` (Apache's, no libc has it), not crypt16 (passlib only), and none of the other
 * `$id$` strings in the registry (Kratos `$md5$pf=`, `$pbkdf2$`, `$scrypt$`, argon2, Cisco `$8$`/`$9$`,
 * WordPress `$wp$`): crypt() refuses them, so Dovecot never verifies them.
 */
const libxcryptSchemes: readonly HashScheme[] = [
  bcrypt,
  bcrypt2x,
  md5Crypt,
  sha256Crypt,
  sha512Crypt,
  sha1Crypt,
  sunMd5Crypt,
  bsdNthash,
  scryptCrypt7,
  yescrypt,
  gostYescrypt,
  bsdiCrypt,
  desCrypt,
  bigcrypt,
];

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
