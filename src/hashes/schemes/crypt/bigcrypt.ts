import { constantTimeEqual, malformed } from '../../codec.js';
import { desSaltedEncrypt } from '../../des.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes } from './crypt-common.js';
import { desChecksumPattern, desKeyFromPassword, desSalt12, encodeDesBlock } from './des-common.js';

const id = 'bigcrypt';
// Two or more 11-character segments: one segment is plain des_crypt, which identifies it first.
const identifyShape = new RegExp(`^[./0-9A-Za-z]{2}(?:${desChecksumPattern}){2,}$`, 'u');
const verifyShape = new RegExp(`^[./0-9A-Za-z]{2}(?:${desChecksumPattern})+$`, 'u');
// A PostgreSQL md5 verifier is 35 crypt-alphabet characters too, and has bigcrypt's shape about once in 150
// (2, 6 or c at its 13th, 24th and 35th characters). A genuine bigcrypt spelling md5 and 32 lower-case hex
// digits has odds around 1e-21, so the guess goes to postgres_md5; verify by name still takes it.
const postgresMd5Shape = /^md5[0-9a-f]{32}$/u;
// libxcrypt reads at most 128 password bytes (16 segments); passlib has no limit.
const libxcryptMaxBytes = 128;
const libxcryptMaxSegments = libxcryptMaxBytes / 8;

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
  identify: (hash) => identifyShape.test(hash) && !postgresMd5Shape.test(hash),
  verify({ password, hash }) {
    if (!verifyShape.test(hash)) throw malformed(id, 'expected 2 salt characters and 11-character segments from ./0-9A-Za-z');
    const segments = (hash.length - 2) / 11;
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    // Up to 16 segments, libxcrypt's reading: the first 128 bytes. A longer hash can only come from passlib,
    // which hashes every byte, so a password with more bytes than the hash has segments for is wrong there.
    const used = segments > libxcryptMaxSegments ? bytes : bytes.subarray(0, libxcryptMaxBytes);
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
