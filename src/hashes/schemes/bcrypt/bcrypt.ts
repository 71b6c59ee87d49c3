import type { HashScheme } from '../../types.js';
import { type BcryptVariant, bcryptMatches, isBcryptShape, newBcryptHash, nativeBcryptBackend } from './bcrypt-core.js';

const id = 'bcrypt';
// `$2$` is OpenBSD's original (no NUL terminator in the key); `$2x$` has its own id (bcrypt_2x).
const variants: readonly BcryptVariant[] = ['a', 'b', 'y', ''];
const weakShape = /^\$2[aby]?\$0[4-9]\$/u;

/** Password bytes: UTF-8, as PHP, Python, Go, Java and Node callers pass them; 72-byte truncation. */
export const bcrypt: HashScheme = {
  id,
  family: 'bcrypt',
  summary: 'bcrypt $2a$/$2b$/$2y$ (and the original $2$): PHP password_hash, Laravel, Symfony, Rails Devise, Spring, Node',
  example: '$2b$12$<22 salt chars><31 hash chars>',
  source: 'OpenBSD bcrypt and Openwall crypt_blowfish (PHP, libxcrypt); passlib bcrypt; backend bcryptjs',
  execution: 'worker',
  threadpoolWith: nativeBcryptBackend,
  upgradeAdvice: 'Keep at cost >= 10 ($2b$/$2y$); hashes below cost 10 or in the original $2$ form are re-hashed at sign-in.',
  contextKeys: [{ key: 'pepper', required: false, description: "appended to the password before bcrypt: Rails Devise's config.pepper" }],
  identify: (hash) => isBcryptShape(hash, variants),
  verify: ({ password, hash, context, limits }) => {
    // Devise hashes "#{password}#{pepper}"; no other product here peppers bcrypt.
    const pepper = context['pepper'];
    return bcryptMatches(typeof pepper === 'string' ? `${password}${pepper}` : password, hash, id, variants, limits);
  },
  needsUpgrade: (hash) => hash.startsWith('$2$') || weakShape.test(hash),
  hash: (password, options, limits) => newBcryptHash(password, options, limits, id),
};
