import type { HashScheme } from '../../types.js';

/** MySQL 4.1 PASSWORD() is `*` + 40 hex digits: a hash, not a lock marker. */
const mysql41 = /^\*[0-9A-Fa-f]{40}$/u;

/**
 * Locked or password-less accounts in shadow-style files: empty, `!`, `!!`, `*`, `*LK*`, `*NP*`, and
 * `!` put in front of a real hash by `passwd -l`. Such an account never signs in with a password, even
 * when the hash after the `!` would match: the marker answers 'disabled' before anything is hashed.
 * Named explicitly, every value is treated as a marker, as passlib's unix_disabled does.
 */
export const unixDisabled: HashScheme = {
  id: 'unix_disabled',
  family: 'marker',
  summary: 'Disabled-account markers of Unix shadow files (!, *, !!, *LK*, *NP*, !<hash>, empty)',
  example: '!$6$salt$hash',
  source: 'shadow(5), passwd -l; passlib unix_disabled',
  execution: 'inline',
  upgradeAdvice: 'The account is locked in the old system: migrate it as disabled, without a password.',
  identify: (hash) => hash === '' || ((hash.startsWith('!') || hash.startsWith('*')) && !mysql41.test(hash)),
  verify: () => 'disabled',
  needsUpgrade: () => false,
};
