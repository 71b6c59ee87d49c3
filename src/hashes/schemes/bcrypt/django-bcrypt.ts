import { malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { bcryptMatches, isBcryptShape, modernVariants, nativeBcryptBackend } from './bcrypt-core.js';

/** Django's bcrypt hashers: `<algorithm>$` + a python-bcrypt hash of a key derived from the password. */
export function djangoBcryptScheme(options: {
  id: string;
  prefix: string;
  summary: string;
  upgradeAdvice: string;
  key: (password: string) => string;
}): HashScheme {
  const { id, prefix, key } = options;
  return {
    id,
    family: 'bcrypt',
    summary: options.summary,
    example: `${prefix}$2b$12$<22 salt chars><31 hash chars>`,
    source: 'Django contrib.auth.hashers over python-bcrypt',
    execution: 'worker',
    threadpoolWith: nativeBcryptBackend,
    upgradeAdvice: options.upgradeAdvice,
    identify: (hash) => hash.startsWith(prefix) && isBcryptShape(hash.slice(prefix.length), modernVariants),
    verify({ password, hash, limits }) {
      if (!hash.startsWith(prefix)) throw malformed(id, `expected the ${prefix} prefix`);
      return bcryptMatches(key(password), hash.slice(prefix.length), id, modernVariants, limits);
    },
  };
}

/** Django's BCryptPasswordHasher: the UTF-8 password itself (72-byte truncation). */
export const djangoBcrypt: HashScheme = djangoBcryptScheme({
  id: 'django_bcrypt',
  prefix: 'bcrypt$',
  summary: 'Django BCryptPasswordHasher: bcrypt$ + a bcrypt hash of the raw password (truncated at 72 bytes)',
  upgradeAdvice: 'bcrypt is fine, but the Django wrapper is not portable: re-hash with bcrypt or argon2id at first sign-in.',
  key: (password) => password,
});
