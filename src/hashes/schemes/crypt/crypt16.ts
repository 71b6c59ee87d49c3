import { constantTimeEqual, malformed } from '../../codec.js';
import { desSaltedEncrypt } from '../../des.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes } from './crypt-common.js';
import { desChecksumPattern, desKeyFromPassword, desSalt12, encodeDesBlock } from './des-common.js';

const id = 'crypt16';
const shape = new RegExp(`^[./0-9A-Za-z]{2}${desChecksumPattern}${desChecksumPattern}$`, 'u');

/**
 * Ultrix/Tru64 crypt16: bytes 1-8 through 20 salted DES rounds, bytes 9-16 through 5, same salt; password
 * truncated to 16 bytes. No identify: its 24 characters look exactly like a two-segment bigcrypt.
 */
export const crypt16: HashScheme = {
  id,
  family: 'crypt',
  summary: 'crypt16 (Ultrix/Tru64): two DES crypts over a 16-byte password; very rare',
  example: 'ss + 22 hash64 characters',
  source: 'passlib crypt16 (Ultrix/Tru64 crypt16)',
  execution: 'inline',
  upgradeAdvice: 'DES-based and weak: re-hash with argon2id or bcrypt at first sign-in.',
  verify({ password, hash }) {
    if (!shape.test(hash)) throw malformed(id, 'expected 2 salt and 22 hash characters from ./0-9A-Za-z');
    const salt = desSalt12(hash.slice(0, 2));
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    const computed =
      encodeDesBlock(desSaltedEncrypt(desKeyFromPassword(bytes, 0), salt, 20)) +
      encodeDesBlock(desSaltedEncrypt(desKeyFromPassword(bytes, 8), salt, 5));
    return constantTimeEqual(computed, hash.slice(2));
  },
};
