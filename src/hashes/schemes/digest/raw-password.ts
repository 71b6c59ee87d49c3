import { constantTimeEqual } from '../../codec.js';
import type { HashFamily, HashScheme } from '../../types.js';

/**
 * The stored value is the password itself. No identify: any string could be a password. Compared as
 * UTF-8 in constant time.
 */
export function rawPasswordScheme(options: { id: string; family: HashFamily; summary: string; source: string }): HashScheme {
  return {
    ...options,
    example: 'the password itself',
    execution: 'inline',
    upgradeAdvice: 'Stored in clear: re-hash with argon2id or bcrypt at first sign-in, and treat the old store as exposed.',
    verify: ({ password, hash }) => constantTimeEqual(password, hash),
  };
}
