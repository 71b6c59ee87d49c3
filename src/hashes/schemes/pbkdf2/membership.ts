/**
 * Classic ASP.NET SqlMembershipProvider (aspnet_Membership.Password / PasswordSalt / PasswordFormat). With
 * PasswordFormat 1 (hashed) the stored value is base64(digest(salt bytes + UTF-16LE password)): .NET
 * strings are UTF-16 and the provider hashes Encoding.Unicode bytes. Format 0 stores the password itself;
 * format 2 is reversible encryption under the site's machineKey, which only that key can undo.
 */
import { LegacyIdpError } from '../../../core/errors.js';
import { constantTimeEqual, contextString, digest, fromBase64, malformed } from '../../codec.js';
import type { HashContext, HashScheme } from '../../types.js';

type MembershipDigest = 'sha1' | 'sha256';

function passwordFormat(context: HashContext, id: string): 0 | 1 | 2 {
  if (context.passwordFormat === undefined || context.passwordFormat === null) return 1;
  const value = contextString(context, 'passwordFormat', id).trim().toLowerCase();
  if (value === '0' || value === 'clear') return 0;
  if (value === '1' || value === 'hashed') return 1;
  if (value === '2' || value === 'encrypted') return 2;
  throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "passwordFormat" must be 0 (clear), 1 (hashed) or 2 (encrypted)`);
}

function checkAlgorithm(context: HashContext, algorithm: MembershipDigest, id: string): void {
  if (context.algorithm === undefined || context.algorithm === null) return;
  const name = contextString(context, 'algorithm', id).replace(/-/gu, '').toLowerCase();
  if (name === algorithm) return;
  if (name.startsWith('hmac')) {
    throw new LegacyIdpError(
      'ERR_LEGACY_IDP_HASH_UNSUPPORTED',
      `${id}: keyed hashAlgorithmType (HMAC) membership hashes are not supported; only plain digests of salt + password`,
    );
  }
  throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "algorithm" names a different digest than this scheme (${algorithm.toUpperCase()})`);
}

export function aspnetMembership(id: string, algorithm: MembershipDigest): HashScheme {
  const size = algorithm === 'sha1' ? 20 : 32;
  return {
    id,
    family: 'pbkdf2',
    summary: `ASP.NET SqlMembershipProvider, hashAlgorithmType ${algorithm.toUpperCase()}: base64(${algorithm.toUpperCase()}(salt + UTF-16LE password)) with the salt in its own column`,
    example: 'base64 digest; context { salt: base64 PasswordSalt, passwordFormat: 1 }',
    contextKeys: [
      { key: 'salt', required: true, description: 'aspnet_Membership.PasswordSalt (base64)' },
      { key: 'passwordFormat', required: false, description: 'aspnet_Membership.PasswordFormat: 0 clear, 1 hashed (default), 2 encrypted (unsupported)' },
      { key: 'algorithm', required: false, description: `the membership hashAlgorithmType; must be ${algorithm.toUpperCase()} when given` },
    ],
    source: 'System.Web.Security.SqlMembershipProvider (.NET Framework)',
    execution: 'inline',
    upgradeAdvice: 'Single salted digest: re-hash with argon2id or bcrypt at first sign-in.',
    verify({ password, hash, context }) {
      const format = passwordFormat(context, id);
      if (format === 2) {
        throw new LegacyIdpError(
          'ERR_LEGACY_IDP_HASH_UNSUPPORTED',
          `${id}: PasswordFormat 2 (encrypted) needs the site's machineKey to decrypt; decrypt the column with it, then verify as clear text`,
        );
      }
      if (format === 0) return constantTimeEqual(password, hash);
      checkAlgorithm(context, algorithm, id);
      const salt = fromBase64(contextString(context, 'salt', id));
      if (!salt) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "salt" must be base64`);
      const stored = fromBase64(hash);
      if (!stored || stored.length !== size) throw malformed(id, `expected base64 of a ${size}-byte digest`);
      return constantTimeEqual(digest(algorithm, salt, Buffer.from(password, 'utf16le')), stored);
    },
  };
}
