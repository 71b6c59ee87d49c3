import { constantTimeEqual, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { parseDecimal } from '../pbkdf2/pbkdf2.js';
import { checkScryptCost, deriveScrypt } from './primitive.js';

const id = 'django_scrypt';
// 64-byte key: 88 base64 characters ending in `==`.
const shape = /^scrypt\$([0-9]+)\$([^$]*)\$([0-9]+)\$([0-9]+)\$([A-Za-z0-9+/]{86}==)$/u;

/**
 * Django 4.0+ ScryptPasswordHasher `scrypt$N$salt$r$p$base64`: salt text and password as UTF-8, a 64-byte
 * key; Django compares re-encoded strings, so the base64 must be canonical.
 */
export const djangoScrypt: HashScheme = {
  id,
  family: 'scrypt',
  summary: 'Django ScryptPasswordHasher (4.0+) `scrypt$N$salt$r$p$base64`',
  example: 'scrypt$16384$salt$8$1$base64-64-byte-key',
  source: 'Django contrib.auth.hashers.ScryptPasswordHasher',
  execution: 'threadpool',
  upgradeAdvice: "Django's defaults (N=2^14, r=8, p=1) are below OWASP's scrypt settings: re-hash with argon2id or scrypt at sign-in.",
  identify(hash) {
    const match = shape.exec(hash);
    return match !== null && [match[1], match[3], match[4]].every((part) => parseDecimal(part) !== undefined);
  },
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const [N, r, p] = [parseDecimal(match?.[1]), parseDecimal(match?.[3]), parseDecimal(match?.[4])];
    if (!match || N === undefined || r === undefined || p === undefined) throw malformed(id, 'expected scrypt$N$salt$r$p$base64 of a 64-byte key');
    const cost = { N, r, p };
    checkScryptCost(cost, 64, limits, id);
    const key = await deriveScrypt(password, match[2] ?? '', cost, 64);
    return constantTimeEqual(key.toString('base64'), match[5] ?? '');
  },
};
