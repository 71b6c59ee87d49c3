import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, parseDecimal, type PbkdfDigest } from './pbkdf2.js';

const id = 'kratos_pbkdf2';
// Unpadded standard base64 (Go's RawStdEncoding) for salt and key.
const shape = /^\$pbkdf2-(sha1|sha224|sha256|sha384|sha512)\$i=([0-9]+),l=([0-9]+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/u;

/**
 * Ory Kratos' import form `$pbkdf2-<digest>$i=<iterations>,l=<length>$salt$key`. Kratos derives as many
 * bytes as the stored key has and ignores `l`, so we do too. Told apart from passlib's `$pbkdf2-sha256$`
 * by the `i=` parameter.
 */
export const kratosPbkdf2: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: 'Ory Kratos hashed-password import `$pbkdf2-sha256$i=N,l=N$salt$key` (SHA-1/224/256/384/512)',
  example: '$pbkdf2-sha256$i=100000,l=32$salt-b64$key-b64',
  source: 'ory/kratos hash/hash_comparator.go (ComparePbkdf2)',
  execution: 'threadpool',
  upgradeAdvice: 'Re-hash with argon2id or pbkdf2_sha256 (600,000 rounds) at first sign-in.',
  identify(hash) {
    const match = shape.exec(hash);
    return match !== null && parseDecimal(match[2]) !== undefined && fromBase64(match[4] ?? '') !== undefined && fromBase64(match[5] ?? '') !== undefined;
  },
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const iterations = parseDecimal(match?.[2]);
    const salt = fromBase64(match?.[4] ?? '');
    const key = fromBase64(match?.[5] ?? '');
    if (!match || iterations === undefined || !salt || !key) throw malformed(id, 'expected $pbkdf2-<digest>$i=N,l=N$salt$key in unpadded base64');
    checkPbkdf2Work(iterations, key.length, limits, id);
    return constantTimeEqual(await derivePbkdf2(password, salt, iterations, key.length, match[1] as PbkdfDigest), key);
  },
};
