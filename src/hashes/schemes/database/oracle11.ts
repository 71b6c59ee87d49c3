import { constantTimeEqual, digest, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const id = 'oracle11';
const shape = /^S:[0-9A-Fa-f]{60}$/u;

export const oracle11: HashScheme = {
  id,
  family: 'database',
  summary: 'Oracle 11g SPARE4 S: value: hex(sha1(password + salt)) + hex(10-byte salt)',
  example: 'S:<40 hex digest><20 hex salt>',
  source: 'Oracle 11g sys.user$.spare4; passlib oracle11',
  execution: 'inline',
  upgradeAdvice: 'One salted SHA-1: re-hash with argon2id or bcrypt at the first successful sign-in.',
  identify: (hash) => shape.test(hash),
  verify({ password, hash }) {
    const raw = shape.test(hash) ? fromHex(hash.slice(2)) : undefined;
    if (!raw) throw malformed(id, 'expected S: and 60 hex digits');
    // Case-sensitive since 11g; the password bytes are UTF-8 here, as in passlib (the database charset in Oracle).
    return constantTimeEqual(digest('sha1', password, raw.subarray(20)), raw.subarray(0, 20));
  },
};
