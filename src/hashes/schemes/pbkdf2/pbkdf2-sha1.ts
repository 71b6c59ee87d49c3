import type { HashScheme } from '../../types.js';
import { passlibPbkdf2 } from './modular.js';

export const pbkdf2Sha1: HashScheme = passlibPbkdf2('pbkdf2_sha1', 'sha1', 'passlib modular PBKDF2-HMAC-SHA1 `$pbkdf2$` (Python apps using passlib)');
