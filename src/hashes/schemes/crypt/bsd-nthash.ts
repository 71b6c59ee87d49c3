import { constantTimeEqual, digest, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes } from './crypt-common.js';

const id = 'bsd_nthash';
const shape = /^\$3\$\$[0-9a-fA-F]{32}$/u;

/**
 * FreeBSD `$3$$` + hex MD4. FreeBSD and libxcrypt widen each password *byte* (UTF-8 here) to 16 bits instead
 * of encoding UTF-16LE, so they match Windows' NT hash only for ASCII; passlib uses real UTF-16LE. The
 * owning implementation (FreeBSD/libxcrypt) wins: hash-formats.md finding 1.
 */
export const bsdNthash: HashScheme = {
  id,
  family: 'crypt',
  summary: 'FreeBSD `$3$$` NT-hash: unsalted MD4 in crypt(3) form; rare',
  example: '$3$$ + 32 hex digits',
  source: 'FreeBSD crypt-nthash.c / libxcrypt nt; passlib bsd_nthash (UTF-16LE, agrees for ASCII only)',
  execution: 'inline',
  upgradeAdvice: 'Unsalted MD4: re-hash with argon2id or bcrypt at first sign-in.',
  identify: (hash) => shape.test(hash),
  verify({ password, hash }) {
    const expected = shape.test(hash) ? fromHex(hash.slice(4)) : undefined;
    if (!expected) throw malformed(id, 'expected $3$$ + 32 hex digits');
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    const widened = Buffer.alloc(bytes.length * 2);
    bytes.forEach((byte, index) => (widened[2 * index] = byte));
    return constantTimeEqual(digest('md4', widened), expected);
  },
};
