import { constantTimeEqual, digest, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { hexOf, storedHex } from './hex-digest.js';

const id = 'mediawiki_b';
const salted = /^:B:([^:]+):([0-9a-fA-F]{32})$/u;
const unsalted = /^:A:([0-9a-fA-F]{32})$/u;

/**
 * MediaWiki before 1.24 (user.user_password): `:B:salt:md5(salt-md5(password))`, and the older unsalted
 * `:A:md5(password)` that the same code still reads. Both keep their type letter, so both are identifiable.
 */
export const mediawikiB: HashScheme = {
  id,
  family: 'application',
  summary: 'MediaWiki < 1.24 user_password: :B:salt:md5(salt + "-" + md5(password)), and unsalted :A:md5(password)',
  example: ':B:<salt>:<32 hex> or :A:<32 hex>',
  source: 'MediaWiki MWOldPassword / MWSaltedPassword (hashcat mode 3711)',
  execution: 'inline',
  upgradeAdvice: 'Fast MD5: re-hash with argon2id or bcrypt at the first successful sign-in (MediaWiki itself moved to PBKDF2).',
  identify: (hash) => salted.test(hash) || unsalted.test(hash),
  verify({ password, hash }) {
    const b = salted.exec(hash);
    if (b) {
      const [, salt = '', hex = ''] = b;
      return constantTimeEqual(digest('md5', salt, '-', hexOf('md5', password)), storedHex(id, hex, 16));
    }
    const a = unsalted.exec(hash);
    if (a) return constantTimeEqual(digest('md5', password), storedHex(id, a[1] ?? '', 16));
    throw malformed(id, 'expected :B:salt:hex or :A:hex');
  },
};
