import { LegacyIdpError } from '../../../core/errors.js';
import { constantTimeEqual, contextString, fromBase64, fromHex, malformed } from '../../codec.js';
import type { HashContext, HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, parseDecimal, type PbkdfDigest } from './pbkdf2.js';

const id = 'spring_pbkdf2';

const algorithms: Readonly<Record<string, PbkdfDigest>> = {
  pbkdf2withhmacsha1: 'sha1',
  pbkdf2withhmacsha224: 'sha224',
  pbkdf2withhmacsha256: 'sha256',
  pbkdf2withhmacsha384: 'sha384',
  pbkdf2withhmacsha512: 'sha512',
};

function contextNumber(context: HashContext, key: string, fallback: number): number {
  if (context[key] === undefined || context[key] === null) return fallback;
  const value = parseDecimal(contextString(context, key, id));
  if (value === undefined || value < 1) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "${key}" must be a positive integer`);
  return value;
}

function optionalText(context: HashContext, key: string, fallback: string): string {
  return context[key] === undefined || context[key] === null ? fallback : contextString(context, key, id);
}

/**
 * Spring Security's Pbkdf2PasswordEncoder: hex (default) or base64 of salt + key, where the PBKDF2 salt is
 * the random salt followed by the encoder's UTF-8 secret. Parameters live in the application's code, not in
 * the hash, so they come from the context; the defaults are `defaultsForSpringSecurity_v5_5()`, which is
 * also what DelegatingPasswordEncoder's `{pbkdf2}` uses (8-byte salt, 185,000 iterations, HMAC-SHA1,
 * 256-bit key). Java's PBKDF2 encodes the password characters as UTF-8.
 */
export const springPbkdf2: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: 'Spring Security Pbkdf2PasswordEncoder: hex or base64 of salt + PBKDF2 key; secret, iterations and PRF from the application config',
  example: 'hex(8-byte salt + 32-byte key); context { secret, iterations, algorithm, hashWidth, saltLength, encoding }',
  contextKeys: [
    { key: 'secret', required: false, description: "the encoder's secret (pepper), appended to the salt; default empty" },
    { key: 'iterations', required: false, description: 'default 185000 (v5.5 defaults; 310000 for v5.8)' },
    { key: 'algorithm', required: false, description: 'PBKDF2WithHmacSHA1 (default), PBKDF2WithHmacSHA256 or PBKDF2WithHmacSHA512' },
    { key: 'hashWidth', required: false, description: 'key size in bits, default 256' },
    { key: 'saltLength', required: false, description: 'salt bytes, default 8 (16 for v5.8)' },
    { key: 'encoding', required: false, description: 'hex (default) or base64' },
  ],
  source: 'spring-projects/spring-security Pbkdf2PasswordEncoder',
  execution: 'threadpool',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt (or keep Spring and move to a DelegatingPasswordEncoder {argon2}/{bcrypt}) at sign-in.',
  async verify({ password, hash, context, limits }) {
    const algorithmName = optionalText(context, 'algorithm', 'PBKDF2WithHmacSHA1');
    const digest = algorithms[algorithmName.toLowerCase()];
    if (!digest) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "algorithm" must be PBKDF2WithHmacSHA1, SHA256 or SHA512`);
    const iterations = contextNumber(context, 'iterations', 185_000);
    const hashWidth = contextNumber(context, 'hashWidth', 256);
    const saltLength = contextNumber(context, 'saltLength', 8);
    const encoding = optionalText(context, 'encoding', 'hex').toLowerCase();
    if (encoding !== 'hex' && encoding !== 'base64') throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "encoding" must be hex or base64`);
    if (hashWidth % 8 !== 0) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "hashWidth" must be a multiple of 8 bits`);
    const raw = encoding === 'hex' ? fromHex(hash) : fromBase64(hash);
    if (!raw) throw malformed(id, `not ${encoding} (set context "encoding" if the encoder used the other one)`);
    const keyLength = hashWidth / 8;
    if (raw.length !== saltLength + keyLength) throw malformed(id, 'decoded length is not saltLength + hashWidth/8 (check the context)');
    checkPbkdf2Work(iterations, keyLength, limits, id);
    const salt = Buffer.concat([raw.subarray(0, saltLength), Buffer.from(optionalText(context, 'secret', ''), 'utf8')]);
    return constantTimeEqual(await derivePbkdf2(password, salt, iterations, keyLength, digest), raw.subarray(saltLength));
  },
};
