import { type DigestName, digest } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { bcryptMatches, modernVariants, nativeBcryptBackend } from './bcrypt-core.js';

/**
 * bcrypt over the lower-case hex digest of the UTF-8 password: how sites upgraded a stored md5/sha
 * column in place (hashcat modes 25600, 25800, 30600, 28400). The stored string is an ordinary bcrypt
 * hash, so these have no identify and are used only when the caller names them.
 */
export function prehashedBcrypt(id: string, algorithm: DigestName, label: string, hashcatMode: number): HashScheme {
  return {
    id,
    family: 'bcrypt',
    summary: `bcrypt over the hex ${label} of the password: legacy ${label} columns wrapped in bcrypt in place`,
    example: '$2a$10$<22 salt chars><31 hash chars> (same shape as bcrypt: name the scheme)',
    source: `hashcat mode ${hashcatMode} (bcrypt(${algorithm}($pass)))`,
    execution: 'worker',
    threadpoolWith: nativeBcryptBackend,
    upgradeAdvice: 'Re-hash the plain password with bcrypt or argon2id at first sign-in to drop the pre-hash.',
    verify: ({ password, hash, limits }) => bcryptMatches(digest(algorithm, password).toString('hex'), hash, id, modernVariants, limits),
  };
}
