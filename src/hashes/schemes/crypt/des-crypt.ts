import { constantTimeEqual, malformed } from '../../codec.js';
import { desSaltedEncrypt } from '../../des.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes } from './crypt-common.js';
import { desChecksumPattern, desKeyFromPassword, desSalt12, encodeDesBlock } from './des-common.js';

const id = 'des_crypt';
const shape = new RegExp(`^[./0-9A-Za-z]{2}${desChecksumPattern}$`, 'u');

/**
 * Traditional Unix crypt(3): 25 salted DES encryptions of a zero block under a key made from the first 8
 * password bytes, 7 bits each (UTF-8 bytes; the high bit and everything past 8 bytes are ignored, as libc does).
 */
export const desCrypt: HashScheme = {
  id,
  family: 'crypt',
  summary: 'Traditional DES crypt(3): old Unix passwd/shadow files, htpasswd -d, NIS; 8-character 7-bit truncation',
  example: 'ss + 11 hash64 characters (13 in all)',
  source: 'libc crypt(3) / libxcrypt descrypt; passlib des_crypt',
  execution: 'inline',
  upgradeAdvice: 'Broken (56-bit DES, 8 characters): re-hash with argon2id or bcrypt at first sign-in, or force a reset.',
  identify: (hash) => shape.test(hash),
  verify({ password, hash }) {
    if (hash.length !== 13) throw malformed(id, 'expected 13 characters');
    const salt = desSalt12(hash.slice(0, 2));
    if (salt < 0 || !shape.test(hash)) throw malformed(id, 'expected 2 salt and 11 hash characters from ./0-9A-Za-z');
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    const computed = encodeDesBlock(desSaltedEncrypt(desKeyFromPassword(bytes), salt, 25));
    return constantTimeEqual(computed, hash.slice(2));
  },
};
