import { LegacyIdpError } from '../../../core/errors.js';
import { constantTimeEqual, digest, type DigestName } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashLimits } from '../../types.js';

// Java MessageDigest names (case-insensitive there too) for the digests Node has; MD4 is Spring's own class.
const javaNames = new Map<string, DigestName>([
  ['MD4', 'md4'],
  ['MD5', 'md5'],
  ['SHA', 'sha1'],
  ['SHA1', 'sha1'],
  ['SHA-1', 'sha1'],
  ['SHA-224', 'sha224'],
  ['SHA-256', 'sha256'],
  ['SHA-384', 'sha384'],
  ['SHA-512', 'sha512'],
]);

export function javaDigestName(id: string, name: string): DigestName {
  const algorithm = javaNames.get(name.toUpperCase());
  if (!algorithm) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "algorithm" must be one of ${[...javaNames.keys()].join(', ')}`);
  return algorithm;
}

export interface SpringDigestOptions {
  algorithm: DigestName;
  encoding: 'hex' | 'base64';
  iterations: number;
}

/**
 * Spring's MessageDigestPasswordEncoder / Md4PasswordEncoder: the salt is the leading `{...}` *with its
 * braces* (none when the value does not start with `{`), the digest is over UTF-8(password + salt),
 * re-digested `iterations - 1` times, and the stored value is salt + hex (lower-case) or base64.
 * Spring compares the whole re-encoded string, which this does too.
 */
export function springDigestMatches(id: string, password: string, encoded: string, options: SpringDigestOptions, limits: HashLimits): boolean {
  const { iterations } = options;
  if (!Number.isInteger(iterations) || iterations < 1) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "iterations" must be a positive integer`);
  assertWithinLimit(iterations, limits.maxCryptRounds, 'iterations', id);
  const end = encoded.startsWith('{') ? encoded.indexOf('}') : -1;
  const salt = end < 0 ? '' : encoded.slice(0, end + 1);
  let value = digest(options.algorithm, password, salt);
  for (let round = 1; round < iterations; round++) value = digest(options.algorithm, value);
  return constantTimeEqual(salt + value.toString(options.encoding), encoded);
}
