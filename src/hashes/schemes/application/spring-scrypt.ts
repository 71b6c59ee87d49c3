import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkScryptCost, deriveScrypt } from '../scrypt/primitive.js';

const id = 'spring_scrypt';
const shape = /^\$([0-9a-fA-F]{1,12})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/u;

/**
 * Spring Security SCryptPasswordEncoder's own layout, `$<hex(log2 N << 16 | r << 8 | p)>$b64(salt)$b64(key)`:
 * what `{scrypt}` holds in a DelegatingPasswordEncoder value. spring_delegating calls it by name so that
 * its threadpool work is gated like any other scheme's; the shape is not unique, so there is no identify.
 */
export const springScrypt: HashScheme = {
  id,
  family: 'application',
  summary: 'Spring Security SCryptPasswordEncoder value (the part after {scrypt})',
  example: '$e0801$<base64 salt>$<base64 key>',
  source: 'Spring Security org.springframework.security.crypto.scrypt.SCryptPasswordEncoder',
  execution: 'threadpool',
  upgradeAdvice: 'scrypt is still sound: keep it, or re-hash with argon2id when parameters fall below today’s.',
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const salt = fromBase64(match?.[2] ?? '');
    const key = fromBase64(match?.[3] ?? '');
    if (!match || !salt || !key || key.length === 0) throw malformed(id, 'expected $hex-parameters$base64-salt$base64-key');
    const parameters = Number.parseInt(match[1] ?? '', 16);
    const log2 = Math.floor(parameters / 65536) & 0xffff;
    if (log2 < 1 || log2 > 52) throw malformed(id, 'scrypt log2(N) out of range');
    const cost = { N: 2 ** log2, r: (parameters >>> 8) & 0xff, p: parameters & 0xff };
    checkScryptCost(cost, key.length, limits, id);
    return constantTimeEqual(await deriveScrypt(password, salt, cost, key.length), key);
  },
};
