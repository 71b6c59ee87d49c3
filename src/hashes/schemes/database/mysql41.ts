import { constantTimeEqual, digest, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const id = 'mysql41';
const shape = /^\*[0-9A-Fa-f]{40}$/u;

export const mysql41: HashScheme = {
  id,
  family: 'database',
  summary: 'MySQL 4.1-5.7 PASSWORD() / mysql_native_password: * + hex(sha1(sha1(password)))',
  example: '*<40 hex digits>',
  source: 'MySQL make_scrambled_password (sql/password.c); passlib mysql41',
  execution: 'inline',
  upgradeAdvice: 'Unsalted double SHA-1: re-hash with argon2id or bcrypt at the first successful sign-in.',
  identify: (hash) => shape.test(hash),
  verify({ password, hash }) {
    const stored = shape.test(hash) ? fromHex(hash.slice(1)) : undefined;
    if (!stored) throw malformed(id, 'expected * and 40 hex digits');
    return constantTimeEqual(digest('sha1', digest('sha1', password)), stored);
  },
};
