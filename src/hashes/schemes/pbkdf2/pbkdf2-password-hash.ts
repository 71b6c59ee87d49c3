import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, parseDecimal, type PbkdfDigest } from './pbkdf2.js';

const id = 'pbkdf2_password_hash';
const shape = /^(sha1|sha224|sha256|sha384|sha512)\$([0-9]+)\$([0-9]+)\$([A-Za-z0-9+/]*={0,2})\$([A-Za-z0-9+/]+={0,2})$/u;

/**
 * The npm package pbkdf2-password-hash: `digest$iterations$keylen$base64(salt)$base64(key)`. It derives with
 * node:crypto over String(password) (UTF-8) and the decoded salt, then compares the re-built strings, so the
 * stored base64 must be exactly what Node writes.
 */
export const pbkdf2PasswordHash: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: 'npm pbkdf2-password-hash `digest$iterations$keylen$salt$key` (Node apps; default sha512, 120,000 iterations)',
  example: 'sha512$120000$64$base64-salt$base64-key',
  source: 'npm pbkdf2-password-hash (commenthol/pbkdf2-password-hash)',
  execution: 'threadpool',
  upgradeAdvice: 'Sound at its defaults; re-hash with argon2id or pbkdf2_sha256 to leave the package-specific format.',
  identify(hash) {
    const match = shape.exec(hash);
    const keyLength = parseDecimal(match?.[3]);
    return match !== null && parseDecimal(match[2]) !== undefined && keyLength !== undefined && fromBase64(match[5] ?? '')?.length === keyLength;
  },
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const iterations = parseDecimal(match?.[2]);
    const keyLength = parseDecimal(match?.[3]);
    const salt = fromBase64(match?.[4] ?? '');
    if (!match || iterations === undefined || keyLength === undefined || !salt) throw malformed(id, 'expected digest$iterations$keylen$base64-salt$base64-key');
    checkPbkdf2Work(iterations, keyLength, limits, id);
    const key = await derivePbkdf2(password, salt, iterations, keyLength, match[1] as PbkdfDigest);
    return constantTimeEqual(key.toString('base64'), match[5] ?? '');
  },
};
