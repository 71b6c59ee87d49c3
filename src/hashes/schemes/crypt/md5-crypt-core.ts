/**
 * Poul-Henning Kamp's md5-crypt, shared by `$1$` (FreeBSD/Linux) and Apache's `$apr1$`, which differ only
 * in the magic string mixed into the first digest.
 */
import { constantTimeEqual, digest, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes, cryptRounds, encodeTransposed } from './crypt-common.js';

// Digest byte order before hash64: triples (0,6,12) (1,7,13) (2,8,14) (3,9,15) (4,10,5), then 11.
const md5CryptOrder = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11];

export function md5CryptChecksum(password: Uint8Array, salt: Uint8Array, magic: string): string {
  const alternate = digest('md5', password, salt, password);
  const parts: Uint8Array[] = [password, Buffer.from(magic, 'latin1'), salt];
  for (let left = password.length; left > 0; left -= 16) parts.push(alternate.subarray(0, Math.min(16, left)));
  // The historical quirk: a NUL byte for each set bit of the length, the first password byte for each clear one.
  const zero = new Uint8Array(1);
  const first = password.subarray(0, 1);
  for (let bits = password.length; bits > 0; bits >>>= 1) parts.push(bits & 1 ? zero : first);
  const result = cryptRounds('md5', Buffer.from(password), Buffer.from(salt), digest('md5', ...parts), 1000);
  return encodeTransposed(result, md5CryptOrder);
}

export function md5CryptScheme(options: {
  id: string;
  magic: string;
  summary: string;
  source: string;
}): HashScheme {
  const { id, magic } = options;
  const escaped = magic.replace(/\$/gu, '\\$');
  const identifyShape = new RegExp(`^${escaped}[./0-9A-Za-z]{0,8}\\$[./0-9A-Za-z]{22}$`, 'u');
  // Salt: up to 8 bytes before the next `$`, any characters but `$` (glibc takes what it is given).
  const verifyShape = new RegExp(`^${escaped}([^$]{0,8})\\$([./0-9A-Za-z]{22})$`, 'u');
  return {
    id,
    family: 'crypt',
    summary: options.summary,
    example: `${magic}salt$ + 22 hash64 characters`,
    source: options.source,
    // 1,000 MD5 rounds through node:crypto: about a millisecond, enough to hold the event loop.
    execution: 'worker',
    upgradeAdvice: 'MD5-based and fast to crack: re-hash with argon2id or bcrypt at first sign-in.',
    identify: (hash) => identifyShape.test(hash),
    verify({ password, hash }) {
      const match = verifyShape.exec(hash);
      if (!match) throw malformed(id, `expected ${magic}salt$ + 22 hash64 characters (salt up to 8)`);
      const bytes = cPasswordBytes(password);
      if (!bytes) return false;
      const computed = md5CryptChecksum(bytes, Buffer.from(match[1] ?? '', 'utf8'), magic);
      return constantTimeEqual(computed, match[2] ?? '');
    },
  };
}
