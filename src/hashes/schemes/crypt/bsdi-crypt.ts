import { assertWithinLimit } from '../../limits.js';
import { constantTimeEqual, malformed } from '../../codec.js';
import { desEncryptBlock, desSaltedEncrypt } from '../../des.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes, hash64Int } from './crypt-common.js';
import { desChecksumPattern, desKeyFromPassword, encodeDesBlock } from './des-common.js';

const id = 'bsdi_crypt';
const shape = new RegExp(`^_[./0-9A-Za-z]{8}${desChecksumPattern}$`, 'u');

/**
 * Every password byte counts: past the first 8, the key is encrypted with itself and the next 8 bytes
 * (7 bits each) are XORed in, repeatedly.
 */
function bsdiKey(bytes: Uint8Array): Buffer {
  let key = desKeyFromPassword(bytes);
  for (let offset = 8; offset < bytes.length; offset += 8) {
    key = desEncryptBlock(key, key);
    const next = desKeyFromPassword(bytes, offset);
    for (let i = 0; i < 8; i++) key[i] = (key[i] ?? 0) ^ (next[i] ?? 0);
  }
  return key;
}

/** BSDi extended DES (`_` + 4-char round count + 4-char salt, both 24-bit little-endian hash64). */
export const bsdiCrypt: HashScheme = {
  id,
  family: 'crypt',
  summary: 'BSDi / FreeBSD extended DES crypt (`_`): 24-bit salt, variable rounds, whole password; rare',
  example: '_RRRRSSSS + 11 hash64 characters',
  source: 'FreeBSD/NetBSD libcrypt (FreeSec), libxcrypt bsdicrypt; passlib bsdi_crypt',
  execution: 'worker',
  upgradeAdvice: 'DES-based and weak: re-hash with argon2id or bcrypt at first sign-in.',
  identify: (hash) => shape.test(hash),
  verify({ password, hash, limits }) {
    if (!shape.test(hash)) throw malformed(id, 'expected _ + 4 rounds + 4 salt + 11 hash characters from ./0-9A-Za-z');
    const rounds = hash64Int(hash.slice(1, 5));
    const salt = hash64Int(hash.slice(5, 9));
    // FreeSec refuses a count of 0 (no encryption at all).
    if (rounds < 1) throw malformed(id, 'round count 0');
    assertWithinLimit(rounds, limits.maxCryptRounds, 'rounds', id);
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    const computed = encodeDesBlock(desSaltedEncrypt(bsdiKey(bytes), salt, rounds));
    return constantTimeEqual(computed, hash.slice(9));
  },
};
