import { malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { bcryptMatches, isBcryptShape, modernVariants } from './bcrypt-core.js';

const id = 'django_bcrypt';
const prefix = 'bcrypt$';

/** Django's BCryptPasswordHasher: `bcrypt$` + python-bcrypt's hash of the UTF-8 password (72-byte truncation). */
export const djangoBcrypt: HashScheme = {
  id,
  family: 'bcrypt',
  summary: 'Django BCryptPasswordHasher: bcrypt$ + a bcrypt hash of the raw password (truncated at 72 bytes)',
  example: 'bcrypt$$2b$12$<22 salt chars><31 hash chars>',
  source: 'Django contrib.auth.hashers over python-bcrypt',
  execution: 'worker',
  upgradeAdvice: 'bcrypt is fine, but the Django wrapper is not portable: re-hash with bcrypt or argon2id at first sign-in.',
  identify: (hash) => hash.startsWith(prefix) && isBcryptShape(hash.slice(prefix.length), modernVariants),
  verify({ password, hash, limits }) {
    if (!hash.startsWith(prefix)) throw malformed(id, 'expected the bcrypt$ prefix');
    return bcryptMatches(password, hash.slice(prefix.length), id, modernVariants, limits);
  },
};
