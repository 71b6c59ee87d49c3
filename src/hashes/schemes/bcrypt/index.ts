import type { HashScheme } from '../../types.js';
import { bcrypt } from './bcrypt.js';
import { bcrypt2x } from './bcrypt-2x.js';
import { bcryptMd5 } from './bcrypt-md5.js';
import { bcryptSha1 } from './bcrypt-sha1.js';
import { bcryptSha256 } from './bcrypt-sha256.js';
import { bcryptSha256Hex } from './bcrypt-sha256-hex.js';
import { bcryptSha512Hex } from './bcrypt-sha512-hex.js';
import { djangoBcrypt } from './django-bcrypt.js';
import { djangoBcryptSha256 } from './django-bcrypt-sha256.js';
import { wbb4DoubleBcrypt } from './wbb4-double-bcrypt.js';
import { wordpressBcrypt } from './wordpress-bcrypt.js';

/**
 * The bcrypt family, in identify order (prefixes never overlap, so order only matters for the plain
 * shape). The pre-hashed variants and WoltLab's double bcrypt look exactly like plain bcrypt: they have no
 * identify and are used by name.
 */
export const bcryptSchemes: readonly HashScheme[] = [
  bcrypt,
  bcrypt2x,
  bcryptSha256,
  djangoBcrypt,
  djangoBcryptSha256,
  wordpressBcrypt,
  wbb4DoubleBcrypt,
  bcryptMd5,
  bcryptSha1,
  bcryptSha256Hex,
  bcryptSha512Hex,
];
