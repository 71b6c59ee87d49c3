import { malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { argon2idBelowDefaults, isPhcArgon2, type Argon2Type, verifyPhcArgon2 } from './argon2-core.js';

const id = 'django_argon2';
const algorithm = 'argon2';
const types: readonly Argon2Type[] = ['argon2i', 'argon2d', 'argon2id'];

/**
 * Django's Argon2PasswordHasher stores its algorithm name directly followed by the PHC string
 * (`argon2` + `$argon2id$v=19$...`). Hashes made before argon2-cffi 16 lack `v=` (version 16), and Django
 * hands any type back to argon2-cffi, so all three verify.
 */
export const djangoArgon2: HashScheme = {
  id,
  family: 'argon2',
  summary: 'Django Argon2PasswordHasher: argon2$ + an Argon2 PHC string (argon2id since Django 2.2, argon2i before)',
  example: 'argon2$argon2id$v=19$m=102400,t=2,p=8$<salt b64>$<hash b64>',
  source: 'Django contrib.auth.hashers over argon2-cffi (libargon2)',
  execution: 'threadpool',
  upgradeAdvice: 'Re-hash with argon2id at first sign-in (strong already if argon2id at m >= 19456 KiB, t >= 2).',
  identify: (hash) => hash.startsWith(`${algorithm}$`) && isPhcArgon2(hash.slice(algorithm.length), types),
  verify({ password, hash, limits }) {
    if (!hash.startsWith(`${algorithm}$`)) throw malformed(id, 'expected the argon2$ prefix');
    return verifyPhcArgon2(password, hash.slice(algorithm.length), id, types, limits);
  },
  needsUpgrade: argon2idBelowDefaults,
};
