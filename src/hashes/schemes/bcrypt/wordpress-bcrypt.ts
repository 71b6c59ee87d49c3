import { hmac, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { bcryptMatches, isBcryptShape, modernVariants, nativeBcryptBackend } from './bcrypt-core.js';

const id = 'wordpress_bcrypt';
const prefix = '$wp';

/** PHP's trim() default set: space, tab, LF, CR, NUL, vertical tab (not Unicode spaces, unlike String#trim). */
function phpTrim(text: string): string {
  return text.replace(/^[ \t\n\r\0\v]+|[ \t\n\r\0\v]+$/gu, '');
}

/**
 * WordPress >= 6.8: `$wp` + password_hash(base64(HMAC-SHA384(key 'wp-sha384', password)), bcrypt).
 * wp_hash_password hashes trim($password), and wp_authenticate trims what users type before
 * wp_check_password, so a login compares trimmed text: we trim the same way. No upstream vector exists.
 */
export const wordpressBcrypt: HashScheme = {
  id,
  family: 'bcrypt',
  summary: 'WordPress 6.8+ $wp$2y$: bcrypt over base64 of HMAC-SHA384 (key "wp-sha384") of the trimmed password',
  example: '$wp$2y$10$<22 salt chars><31 hash chars>',
  source: 'WordPress wp-includes/pluggable.php wp_hash_password / wp_check_password (6.8)',
  execution: 'worker',
  threadpoolWith: nativeBcryptBackend,
  upgradeAdvice: 'Strong (bcrypt with an HMAC pre-hash), but WordPress-only: re-hash with bcrypt or argon2id at first sign-in.',
  identify: (hash) => hash.startsWith(`${prefix}$2y$`) && isBcryptShape(hash.slice(prefix.length), ['y']),
  verify({ password, hash, limits }) {
    if (!hash.startsWith(`${prefix}$2`)) throw malformed(id, 'expected the $wp$2y$ prefix');
    const key = hmac('sha384', 'wp-sha384', phpTrim(password)).toString('base64');
    // password_verify accepts any bcrypt variant after the prefix; WordPress itself writes $2y$.
    return bcryptMatches(key, hash.slice(prefix.length), id, modernVariants, limits);
  },
};
