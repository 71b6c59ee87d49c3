/**
 * Django's PBKDF2PasswordHasher / PBKDF2SHA1PasswordHasher: `algorithm$iterations$salt$base64(dk)`. The salt
 * is text used as its UTF-8 bytes; the key is one digest long. Django re-encodes what it derives and
 * compares the strings, so the stored base64 must be canonical (padded); we do the same.
 */
import { constantTimeEqual, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, digestBytes, parseDecimal } from './pbkdf2.js';

export function djangoPbkdf2(id: string, digest: 'sha1' | 'sha256'): HashScheme {
  const size = digestBytes[digest];
  const b64Chars = Math.ceil(size / 3) * 4;
  const shape = new RegExp(`^pbkdf2_${digest}\\$([0-9]+)\\$([^$]*)\\$([A-Za-z0-9+/]{${b64Chars - 2}}[A-Za-z0-9+/=]{2})$`, 'u');
  return {
    id,
    family: 'pbkdf2',
    summary: `Django PBKDF2${digest === 'sha1' ? 'SHA1' : ''}PasswordHasher \`pbkdf2_${digest}$\`${digest === 'sha256' ? ' (Django default since 1.4)' : ''}`,
    example: `pbkdf2_${digest}$iterations$salt$base64`,
    source: 'Django contrib.auth.hashers',
    execution: 'threadpool',
    upgradeAdvice:
      digest === 'sha256'
        ? 'Sound if the iteration count matches current Django (1,000,000+ in 5.x); re-hash with argon2id or pbkdf2_sha256 at sign-in.'
        : 'PBKDF2-SHA1: re-hash with argon2id, bcrypt or pbkdf2_sha256 at first sign-in.',
    identify(hash) {
      const match = shape.exec(hash);
      return match !== null && parseDecimal(match[1]) !== undefined;
    },
    async verify({ password, hash, limits }) {
      const match = shape.exec(hash);
      const iterations = parseDecimal(match?.[1]);
      if (!match || iterations === undefined) throw malformed(id, `expected pbkdf2_${digest}$iterations$salt$base64 of a ${size}-byte key`);
      checkPbkdf2Work(iterations, size, limits, id);
      const key = await derivePbkdf2(password, match[2] ?? '', iterations, size, digest);
      return constantTimeEqual(key.toString('base64'), match[3] ?? '');
    },
  };
}
