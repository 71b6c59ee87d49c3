import { digest } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { djangoBcryptScheme } from './django-bcrypt.js';

/**
 * Django's BCryptSHA256PasswordHasher: bcrypt over the 64 lower-case hex characters of sha256(UTF-8
 * password), so long passwords are not truncated (unlike passlib's bcrypt_sha256, which uses base64).
 */
export const djangoBcryptSha256: HashScheme = djangoBcryptScheme({
  id: 'django_bcrypt_sha256',
  prefix: 'bcrypt_sha256$',
  summary: 'Django BCryptSHA256PasswordHasher: bcrypt_sha256$ + bcrypt over the hex SHA-256 of the password',
  upgradeAdvice: 'Strong, but Django-only: re-hash with bcrypt or argon2id at first sign-in.',
  key: (password) => digest('sha256', password).toString('hex'),
});
