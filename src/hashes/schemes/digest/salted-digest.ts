import { z } from 'zod';
import { LegacyIdpError } from '../../../core/errors.js';
import { constantTimeEqual, digest, fromBase64, fromHex, hmac, malformed } from '../../codec.js';
import type { HashContext, HashScheme } from '../../types.js';

const id = 'salted_digest';
const digestBytes = { md5: 16, sha1: 20, sha256: 32, sha512: 64 } as const;
const byteEncoding = z.enum(['utf8', 'hex', 'base64']);

const contextSchema = z
  .object({
    algorithm: z.enum(['md5', 'sha1', 'sha256', 'sha512']),
    salt: z.string().optional(),
    saltEncoding: byteEncoding.default('utf8'),
    saltPosition: z.enum(['prefix', 'suffix']).default('suffix'),
    /** Absent: hex when the text is hex of the digest length, else base64. */
    encoding: z.enum(['hex', 'base64']).optional(),
    hmacKey: z.string().optional(),
    hmacKeyEncoding: byteEncoding.default('utf8'),
    passwordEncoding: z.enum(['utf8', 'utf16le', 'latin1']).default('utf8'),
  })
  // A misspelt key (saltposition) would otherwise be ignored and every sign-in would fail silently.
  .strict();

type SaltedDigestContext = z.output<typeof contextSchema>;

function contextError(key: string, why: string): LegacyIdpError {
  return new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "${key}" ${why}`);
}

function readContext(context: HashContext): SaltedDigestContext {
  const result = contextSchema.safeParse(context);
  if (result.success) return result.data;
  const [first] = result.error.issues;
  if (first?.code === 'unrecognized_keys') throw contextError(first.keys[0] ?? '?', 'is not a salted_digest option');
  throw contextError(String(first?.path[0] ?? 'algorithm'), first?.message ?? 'is invalid');
}

function decodeBytes(text: string, encoding: 'utf8' | 'hex' | 'base64', key: string): Buffer {
  const bytes = encoding === 'utf8' ? Buffer.from(text, 'utf8') : encoding === 'hex' ? fromHex(text) : fromBase64(text);
  if (!bytes) throw contextError(key, `is not valid ${encoding}`);
  return bytes;
}

/** Password bytes in the application's encoding; undefined when latin-1 cannot represent it. */
function passwordBytes(password: string, encoding: SaltedDigestContext['passwordEncoding']): Buffer | undefined {
  if (encoding === 'latin1' && Array.from(password).some((char) => (char.codePointAt(0) ?? 0) > 0xff)) return undefined;
  return Buffer.from(password, encoding);
}

/**
 * A bare hex or base64 digest with the salt, position, encodings and HMAC key given as context: the
 * shapes that Okta, Auth0, Firebase and FusionAuth import as "salted MD5/SHA" and "HMAC-SHA". Computes
 * digest(salt + password) or digest(password + salt), or HMAC(hmacKey, the same) when a key is given.
 */
export const saltedDigest: HashScheme = {
  id,
  family: 'digest',
  summary: 'Configurable bare digest: MD5/SHA-1/SHA-256/SHA-512, optional salt before or after, optional HMAC key',
  example: 'hex or base64 of digest(password + salt), with the salt in its own column',
  contextKeys: [
    { key: 'algorithm', required: true, description: 'md5, sha1, sha256 or sha512' },
    { key: 'salt', required: false, description: 'Per-user salt (absent: unsalted)' },
    { key: 'saltEncoding', required: false, description: 'utf8 (default), hex or base64' },
    { key: 'saltPosition', required: false, description: 'suffix (default: password + salt) or prefix (salt + password)' },
    { key: 'encoding', required: false, description: 'hex or base64 of the stored digest (default: detected by length)' },
    { key: 'hmacKey', required: false, description: 'Site-wide key: HMAC instead of a plain digest' },
    { key: 'hmacKeyEncoding', required: false, description: 'utf8 (default), hex or base64' },
    { key: 'passwordEncoding', required: false, description: 'utf8 (default), utf16le or latin1' },
  ],
  source: 'the application that stored it (describe it in the context)',
  execution: 'inline',
  upgradeAdvice: 'Fast digest: re-hash with argon2id or bcrypt at first sign-in.',
  verify({ password, hash, context }) {
    const options = readContext(context);
    const size = digestBytes[options.algorithm];
    const stored =
      options.encoding === 'base64'
        ? fromBase64(hash)
        : options.encoding === 'hex' || hash.length === size * 2
          ? fromHex(hash)
          : fromBase64(hash);
    if (stored?.length !== size) throw malformed(id, `expected hex or base64 of a ${size}-byte ${options.algorithm} digest`);
    const salt = options.salt === undefined ? Buffer.alloc(0) : decodeBytes(options.salt, options.saltEncoding, 'salt');
    const secret = passwordBytes(password, options.passwordEncoding);
    if (!secret) return false;
    const message = options.saltPosition === 'prefix' ? [salt, secret] : [secret, salt];
    const actual =
      options.hmacKey === undefined
        ? digest(options.algorithm, ...message)
        : hmac(options.algorithm, decodeBytes(options.hmacKey, options.hmacKeyEncoding, 'hmacKey'), ...message);
    return constantTimeEqual(actual, stored);
  },
};
