import { constantTimeEqual, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { parsePortableSetting, portableHash } from './portable-hash.js';

const id = 'phpass';
const shape = /^\$[PH]\$[./0-9A-Za-z]{31}$/u;

/**
 * phpass portable hashes: `$P$` (WordPress < 6.8, Joomla 2.5.18-3.x legacy) and `$H$` (phpBB3) are the
 * same algorithm. Password bytes are UTF-8, as PHP receives them from a UTF-8 form.
 */
export const phpass: HashScheme = {
  id,
  family: 'application',
  summary: 'phpass portable hash ($P$ WordPress < 6.8, $H$ phpBB3): 2^N iterated MD5',
  example: '$P$B<8 salt><22 hash>',
  source: 'Openwall phpass PasswordHash::CheckPassword; passlib phpass',
  // 2^13 MD5 rounds (phpBB's setting) take about 10 ms in JavaScript: too long for the event loop.
  execution: 'worker',
  upgradeAdvice: 'Iterated MD5 with a low count: re-hash with argon2id or bcrypt at the first successful sign-in.',
  identify: (hash) => shape.test(hash),
  verify({ password, hash, limits }) {
    if (!shape.test(hash)) throw malformed(id, 'expected $P$ or $H$, a count character, 8 salt and 22 hash characters');
    const setting = parsePortableSetting(id, hash, limits);
    // phpass compares the whole string, so the 2 unused bits of the last character must match too.
    return constantTimeEqual(portableHash('md5', setting, Buffer.from(password, 'utf8')), hash.slice(12));
  },
};
