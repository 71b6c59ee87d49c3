import { constantTimeEqual, digest, fromHex, malformed, type DigestName } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const hexLength: Readonly<Record<'md4' | 'md5' | 'sha1' | 'sha256' | 'sha512', number>> = { md4: 32, md5: 32, sha1: 40, sha256: 64, sha512: 128 };

/**
 * A bare unsalted hex digest of the UTF-8 password. No identify: 32 hex digits could be MD5, MD4, NT, LM
 * or half a dozen salted schemes, so these are used only when the caller names them. Hex case is ignored.
 */
export function hexDigestScheme(algorithm: Extract<DigestName, 'md4' | 'md5' | 'sha1' | 'sha256' | 'sha512'>, summary: string): HashScheme {
  const id = `hex_${algorithm}`;
  const length = hexLength[algorithm];
  return {
    id,
    family: 'digest',
    summary,
    example: `${length} hex digits: ${algorithm}(password)`,
    source: `passlib ${id}`,
    execution: 'inline',
    upgradeAdvice: `Unsalted ${algorithm.toUpperCase()}: re-hash with argon2id or bcrypt at first sign-in.`,
    verify({ password, hash }) {
      const expected = hash.length === length ? fromHex(hash) : undefined;
      if (!expected) throw malformed(id, `expected ${length} hex digits`);
      return constantTimeEqual(digest(algorithm, password), expected);
    },
  };
}
