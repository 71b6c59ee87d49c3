import { constantTimeEqual, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, parseDecimal } from './pbkdf2.js';

const id = 'dovecot_pbkdf2';
const shape = /^\{PBKDF2\}\$1\$([^$]+)\$([0-9]+)\$([0-9a-f]{40})$/u;

/**
 * Dovecot's `{PBKDF2}` (not OpenLDAP's): `$1$salt$rounds$hex`, PBKDF2-HMAC-SHA1 over the salt text, a
 * 20-byte key in lower-case hex.
 */
export const dovecotPbkdf2: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: "Dovecot passdb `{PBKDF2}$1$salt$rounds$hex`: PBKDF2-HMAC-SHA1 (Dovecot's own layout, unlike LDAP {PBKDF2})",
  example: '{PBKDF2}$1$salt$rounds$40-hex',
  source: 'Dovecot doveadm pw -s PBKDF2 (password-scheme-pbkdf2.c)',
  execution: 'threadpool',
  upgradeAdvice: 'Dovecot defaults to 5000 rounds: re-hash with argon2id or bcrypt (BLF-CRYPT) at first sign-in.',
  identify(hash) {
    const match = shape.exec(hash);
    return match !== null && parseDecimal(match[2]) !== undefined;
  },
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const rounds = parseDecimal(match?.[2]);
    if (!match || rounds === undefined) throw malformed(id, 'expected {PBKDF2}$1$salt$rounds$40-hex');
    checkPbkdf2Work(rounds, 20, limits, id);
    const key = await derivePbkdf2(password, match[1] ?? '', rounds, 20, 'sha1');
    return constantTimeEqual(key.toString('hex'), match[3] ?? '');
  },
};
