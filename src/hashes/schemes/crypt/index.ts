import type { HashScheme } from '../../types.js';
import { aprMd5Crypt } from './apr-md5-crypt.js';
import { bigcrypt } from './bigcrypt.js';
import { bsdNthash } from './bsd-nthash.js';
import { bsdiCrypt } from './bsdi-crypt.js';
import { crypt16 } from './crypt16.js';
import { desCrypt } from './des-crypt.js';
import { gostYescrypt } from './gost-yescrypt.js';
import { md5Crypt } from './md5-crypt.js';
import { scryptCrypt7 } from './scrypt-crypt7.js';
import { sha1Crypt } from './sha1-crypt.js';
import { sha256Crypt } from './sha256-crypt.js';
import { sha512Crypt } from './sha512-crypt.js';
import { sunMd5Crypt } from './sun-md5-crypt.js';
import { yescrypt } from './yescrypt.js';

/**
 * The crypt family, in identify order. One file per scheme in this folder. Prefixed formats come first;
 * the bare DES shapes last (13 characters is des_crypt, 24 + 11n bigcrypt; crypt16 is never guessed).
 */
export const cryptSchemes: readonly HashScheme[] = [
  md5Crypt,
  aprMd5Crypt,
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
  crypt16,
];
