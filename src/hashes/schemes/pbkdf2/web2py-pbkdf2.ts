import { constantTimeEqual, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, parseDecimal, type PbkdfDigest } from './pbkdf2.js';

const id = 'web2py_pbkdf2';
const shape = /^pbkdf2\(([0-9]+),([0-9]+),(sha1|sha224|sha256|sha384|sha512)\)\$([^$]*)\$((?:[0-9a-f]{2})+)$/u;

/**
 * web2py's CRYPT validator with digest_alg `pbkdf2(iterations,keylen,alg)`: the salt is text used as its
 * UTF-8 bytes, the key is lower-case hex of `keylen` bytes.
 */
export const web2pyPbkdf2: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: 'web2py CRYPT validator `pbkdf2(iterations,keylen,alg)$salt$hex` (auth_user.password)',
  example: 'pbkdf2(1000,20,sha512)$salt$hex',
  source: 'web2py gluon/validators.py CRYPT',
  execution: 'threadpool',
  upgradeAdvice: 'web2py defaults to 1000 iterations: re-hash with argon2id or pbkdf2_sha256 at first sign-in.',
  identify(hash) {
    const match = shape.exec(hash);
    const keyLength = parseDecimal(match?.[2]);
    return match !== null && parseDecimal(match[1]) !== undefined && keyLength !== undefined && (match[5] ?? '').length === keyLength * 2;
  },
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const iterations = parseDecimal(match?.[1]);
    const keyLength = parseDecimal(match?.[2]);
    if (!match || iterations === undefined || keyLength === undefined || (match[5] ?? '').length !== keyLength * 2) {
      throw malformed(id, 'expected pbkdf2(iterations,keylen,alg)$salt$hex of keylen bytes');
    }
    checkPbkdf2Work(iterations, keyLength, limits, id);
    const key = await derivePbkdf2(password, match[4] ?? '', iterations, keyLength, match[3] as PbkdfDigest);
    return constantTimeEqual(key.toString('hex'), match[5] ?? '');
  },
};
