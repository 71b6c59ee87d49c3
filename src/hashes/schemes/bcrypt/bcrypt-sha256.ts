import { digest, hmac, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { bcryptChars, bcryptMatches, nativeBcryptBackend } from './bcrypt-core.js';

const id = 'bcrypt_sha256';
// passlib writes rounds without zero padding and refuses padded ones; v2 allows only the 2b type.
const rounds = '([1-9]\\d?|0)';
const v2Shape = new RegExp(`^\\$bcrypt-sha256\\$v=2,t=(2b),r=${rounds}\\$(${bcryptChars}{22})\\$(${bcryptChars}{31})$`, 'u');
const v1Shape = new RegExp(`^\\$bcrypt-sha256\\$(2[ab]),${rounds}\\$(${bcryptChars}{22})\\$(${bcryptChars}{31})$`, 'u');

/**
 * passlib's bcrypt_sha256. v1 (passlib < 1.7.3): bcrypt over base64(sha256(password)). v2: bcrypt over
 * base64(hmac-sha256(key = the 22-character salt text, password)). The 44-character key avoids bcrypt's
 * 72-byte truncation and NUL bytes. Password as UTF-8, as passlib encodes text.
 */
export const bcryptSha256: HashScheme = {
  id,
  family: 'bcrypt',
  summary: 'passlib bcrypt_sha256: bcrypt over base64 of (HMAC-)SHA-256, no 72-byte limit; Python apps using passlib',
  example: '$bcrypt-sha256$v=2,t=2b,r=12$<22 salt chars>$<31 hash chars>',
  source: 'passlib bcrypt_sha256 (v1 since 1.6.2, v2 since 1.7.3)',
  execution: 'worker',
  threadpoolWith: nativeBcryptBackend,
  upgradeAdvice: 'Strong (v2); v1 lacks the HMAC. Re-hash with argon2id or bcrypt at first sign-in to leave the passlib-only format.',
  identify: (hash) => v2Shape.test(hash) || v1Shape.test(hash),
  verify({ password, hash, limits }) {
    const v2 = v2Shape.exec(hash);
    const match = v2 ?? v1Shape.exec(hash);
    if (!match) throw malformed(id, 'expected $bcrypt-sha256$v=2,t=2b,r=<cost>$<salt>$<hash> or the v1 form $bcrypt-sha256$2b,<cost>$...');
    const [, type = '', cost = '', salt = '', checksum = ''] = match;
    // passlib refuses v2 salts with unused bits set instead of hashing them differently per backend.
    if (v2 && !'.Oeu'.includes(salt.slice(-1))) throw malformed(id, 'salt has unused bits set');
    const prehash = v2 ? hmac('sha256', salt, password) : digest('sha256', password);
    const inner = `$${type}$${cost.padStart(2, '0')}$${salt}${checksum}`;
    return bcryptMatches(prehash.toString('base64'), inner, id, ['a', 'b'], limits);
  },
};
