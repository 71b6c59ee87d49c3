import { constantTimeEqual, malformed } from '../../codec.js';
import { desSaltedEncrypt } from '../../des.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes } from './crypt-common.js';
import { desChecksumPattern, desKeyFromPassword, desSalt12, encodeDesBlock } from './des-common.js';

const id = 'bigcrypt';
// Two or more 11-character segments: one segment is plain des_crypt, which identifies it first.
const identifyShape = new RegExp(`^[./0-9A-Za-z]{2}(?:${desChecksumPattern}){2,}$`, 'u');
const verifyShape = new RegExp(`^[./0-9A-Za-z]{2}(?:${desChecksumPattern})+$`, 'u');
// libxcrypt reads at most 128 password bytes (16 segments); passlib has no limit.
const libxcryptMaxBytes = 128;

/**
 * HP-UX / Tru64 bigcrypt: des_crypt over each 8-byte slice of the password, each slice salted with the
 * first two characters of the previous slice's output.
 */
export const bigcrypt: HashScheme = {
  id,
  family: 'crypt',
  summary: 'bigcrypt: DES crypt chained over 8-byte password slices (HP-UX/Tru64 trusted mode; OpenLDAP {CRYPT} on libxcrypt)',
  example: 'ss + 11 hash64 characters per 8 password bytes',
  source: 'libxcrypt bigcrypt (HP-UX compatible); passlib bigcrypt',
  execution: 'inline',
  upgradeAdvice: 'DES-based and weak: re-hash with argon2id or bcrypt at first sign-in.',
  identify: (hash) => identifyShape.test(hash),
  verify({ password, hash }) {
    if (!verifyShape.test(hash)) throw malformed(id, 'expected 2 salt characters and 11-character segments from ./0-9A-Za-z');
    const segments = (hash.length - 2) / 11;
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    // Hashes longer than libxcrypt's 16 segments can only come from passlib, which reads everything.
    const used = bytes.subarray(0, Math.max(libxcryptMaxBytes, segments * 8));
    let salt = hash.slice(0, 2);
    let computed = '';
    let offset = 0;
    do {
      const segment = encodeDesBlock(desSaltedEncrypt(desKeyFromPassword(used, offset), desSalt12(salt), 25));
      computed += segment;
      salt = segment.slice(0, 2);
      offset += 8;
    } while (offset < used.length);
    return constantTimeEqual(computed, hash.slice(2));
  },
};
