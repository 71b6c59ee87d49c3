import { applicationSchemes } from './schemes/application/index.js';
import { argon2Schemes } from './schemes/argon2/index.js';
import { bcryptSchemes } from './schemes/bcrypt/index.js';
import { cryptSchemes } from './schemes/crypt/index.js';
import { databaseSchemes } from './schemes/database/index.js';
import { digestSchemes } from './schemes/digest/index.js';
import { ldapSchemes } from './schemes/ldap/index.js';
import { markerSchemes } from './schemes/marker/index.js';
import { networkSchemes } from './schemes/network/index.js';
import { pbkdf2Schemes } from './schemes/pbkdf2/index.js';
import { scryptSchemes } from './schemes/scrypt/index.js';
import { windowsSchemes } from './schemes/windows/index.js';
import type { HashScheme } from './types.js';

/**
 * Every built-in scheme, in the order `identify` tries them: disabled-account markers first (`!$6$...` is
 * a locked account, never a hash to check), then specific prefixes before generic shapes. Bare digests have no identify and are used only by name.
 * The database formats (`md5` + 32 hex, `*` + 40 hex, `0x0100...`, `S:...`) come before the crypt family, whose
 * bare DES shapes end it: a PostgreSQL md5 verifier is 35 characters of the crypt alphabet, and about 1 in 150
 * of them also has bigcrypt's shape (2, 6 or c as its 13th, 24th and 35th characters).
 */
export const builtinSchemes: readonly HashScheme[] = [
  ...markerSchemes,
  ...bcryptSchemes,
  ...argon2Schemes,
  ...pbkdf2Schemes,
  ...scryptSchemes,
  ...databaseSchemes,
  ...cryptSchemes,
  ...ldapSchemes,
  ...applicationSchemes,
  ...windowsSchemes,
  ...networkSchemes,
  ...digestSchemes,
];
