import { phcArgon2Scheme } from './argon2-core.js';

/** passlib's `argon2` handler reads all three types; the specific ids come first in identify order. */
export const argon2 = phcArgon2Scheme('argon2', ['argon2i', 'argon2d', 'argon2id'], {
  summary: 'Any Argon2 PHC string (i, d or id), as passlib\'s argon2 handler reads them',
  source: 'passlib argon2 over argon2-cffi (libargon2); backend @node-rs/argon2 or argon2',
  upgradeAdvice: 'Re-hash with argon2id at current parameters at first sign-in unless it already is one.',
});
