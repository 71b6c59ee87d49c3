import { constantTimeEqual, digest, malformed, utf8Length } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { parsePortableSetting, portableHash } from './portable-hash.js';

const id = 'drupal7';
// `U$` marks accounts that Drupal 6 -> 7 migration re-hashed from md5(password): the loop runs over that hex.
const sha512Shape = /^(U)?\$S\$[./0-9A-Za-z]{52}$/u;
const upgradedMd5Shape = /^U\$[PH]\$[./0-9A-Za-z]{31}$/u;
/** DRUPAL_MAX_PASSWORD_LENGTH: longer passwords never match. */
const maxPasswordBytes = 512;

/**
 * Drupal 7 (and 8-10, PhpassHashedPassword): `$S$` + count + salt + the first 43 characters of the
 * crypt-alphabet SHA-512 loop (55 characters stored). Plain `$P$`/`$H$` rows are phpass.
 */
export const drupal7: HashScheme = {
  id,
  family: 'application',
  summary: 'Drupal 7-10 $S$: 2^N iterated SHA-512, truncated to 55 characters; U$ rows wrap md5(password)',
  example: '$S$D<8 salt><43 hash>',
  source: 'Drupal includes/password.inc (user_check_password, _password_crypt)',
  // 2^15 SHA-512 rounds (Drupal 7's default) take about 50 ms in JavaScript.
  execution: 'worker',
  upgradeAdvice: 'Iterated SHA-512 in a format only Drupal reads: re-hash with argon2id or bcrypt at the first successful sign-in.',
  identify: (hash) => sha512Shape.test(hash) || upgradedMd5Shape.test(hash),
  verify({ password, hash, limits }) {
    const sha512 = sha512Shape.test(hash);
    if (!sha512 && !upgradedMd5Shape.test(hash)) throw malformed(id, 'expected $S$ with a count character, 8 salt and 43 hash characters');
    const upgraded = hash.startsWith('U');
    const stored = upgraded ? hash.slice(1) : hash;
    const setting = parsePortableSetting(id, stored, limits);
    if (utf8Length(password) > maxPasswordBytes) return false;
    const input = upgraded ? Buffer.from(digest('md5', password).toString('hex'), 'latin1') : Buffer.from(password, 'utf8');
    const computed = sha512 ? portableHash('sha512', setting, input).slice(0, 43) : portableHash('md5', setting, input);
    return constantTimeEqual(computed, stored.slice(12));
  },
};
