import { digest, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { bcryptMatches, isBcryptShape, modernVariants } from './bcrypt-core.js';

const id = 'django_bcrypt_sha256';
const prefix = 'bcrypt_sha256$';

/**
 * Django's BCryptSHA256PasswordHasher: bcrypt over the 64 lower-case hex characters of sha256(UTF-8
 * password), so long passwords are not truncated (unlike passlib's bcrypt_sha256, which uses base64).
 */
export const djangoBcryptSha256: HashScheme = {
  id,
  family: 'bcrypt',
  summary: 'Django BCryptSHA256PasswordHasher: bcrypt_sha256$ + bcrypt over the hex SHA-256 of the password',
  example: 'bcrypt_sha256$$2b$12$<22 salt chars><31 hash chars>',
  source: 'Django contrib.auth.hashers over python-bcrypt',
  execution: 'worker',
  upgradeAdvice: 'Strong, but Django-only: re-hash with bcrypt or argon2id at first sign-in.',
  identify: (hash) => hash.startsWith(prefix) && isBcryptShape(hash.slice(prefix.length), modernVariants),
  verify({ password, hash, limits }) {
    if (!hash.startsWith(prefix)) throw malformed(id, 'expected the bcrypt_sha256$ prefix');
    return bcryptMatches(digest('sha256', password).toString('hex'), hash.slice(prefix.length), id, modernVariants, limits);
  },
};
