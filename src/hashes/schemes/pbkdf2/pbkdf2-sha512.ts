import type { HashScheme } from '../../types.js';
import { passlibPbkdf2 } from './modular.js';

export const pbkdf2Sha512: HashScheme = passlibPbkdf2('pbkdf2_sha512', 'sha512', 'passlib modular PBKDF2-HMAC-SHA512 `$pbkdf2-sha512$` (Python apps using passlib)');
