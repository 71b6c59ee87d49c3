import { constantTimeEqual, digest, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { storedHex } from './hex-digest.js';

/**
 * `md5hex:salt` in one column, as Joomla 1.0-2.5 and osCommerce store it. The two differ only in where
 * the salt goes, and their strings cannot be told apart (Joomla salts are 32 characters, osCommerce 2,
 * but neither product enforces it), so neither has identify.
 */
export function digestColonSalt(definition: {
  id: string;
  summary: string;
  source: string;
  saltFirst: boolean;
}): HashScheme {
  const { id, saltFirst } = definition;
  return {
    id,
    family: 'application',
    summary: definition.summary,
    example: saltFirst ? 'md5hex(salt + password):salt' : 'md5hex(password + salt):salt',
    source: definition.source,
    execution: 'inline',
    upgradeAdvice: 'One salted MD5: re-hash with argon2id or bcrypt at the first successful sign-in.',
    verify({ password, hash }) {
      const colon = hash.indexOf(':');
      if (colon !== 32) throw malformed(id, 'expected 32 hex digits, a colon and the salt');
      const stored = storedHex(id, hash.slice(0, colon), 16);
      const salt = hash.slice(colon + 1);
      return constantTimeEqual(saltFirst ? digest('md5', salt, password) : digest('md5', password, salt), stored);
    },
  };
}
