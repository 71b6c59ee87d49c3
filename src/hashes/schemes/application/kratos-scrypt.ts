import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkScryptCost, deriveScrypt } from '../scrypt/primitive.js';

const id = 'kratos_scrypt';
const shape = /^\$scrypt\$ln=(\d{1,16}),r=(\d{1,8}),p=(\d{1,8})\$([A-Za-z0-9+/]*={0,2})\$([A-Za-z0-9+/]*={0,2})$/u;

/**
 * Ory Kratos' import form `$scrypt$ln=<N>,r=<r>,p=<p>$<base64 salt>$<base64 key>`. Unlike passlib's
 * `$scrypt$`, `ln` is N itself (not its log2) and both fields are padded standard base64. kratos_import
 * calls this by name so the threadpool work is gated; it has no identify of its own.
 */
export const kratosScrypt: HashScheme = {
  id,
  family: 'application',
  summary: 'Ory Kratos import $scrypt$ln=N,r=,p=$salt$key (ln is N, not log2 N; padded base64)',
  example: '$scrypt$ln=16384,r=8,p=1$<base64 salt>$<base64 key>',
  source: 'ory/kratos hash/hash_comparator.go (CompareScrypt)',
  execution: 'threadpool',
  upgradeAdvice: 'scrypt is still sound: keep it, or re-hash with argon2id when parameters fall below today’s.',
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const salt = fromBase64(match?.[4] ?? '');
    const key = fromBase64(match?.[5] ?? '');
    if (!match || !salt || !key || key.length === 0) throw malformed(id, 'expected $scrypt$ln=N,r=R,p=P$base64-salt$base64-key');
    const cost = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
    checkScryptCost(cost, key.length, limits, id);
    return constantTimeEqual(await deriveScrypt(password, salt, cost, key.length), key);
  },
};
