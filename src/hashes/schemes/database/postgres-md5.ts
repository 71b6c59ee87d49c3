import { constantTimeEqual, contextString, digest, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const id = 'postgres_md5';
const shape = /^md5[0-9a-fA-F]{32}$/u;

export const postgresMd5: HashScheme = {
  id,
  family: 'database',
  summary: 'PostgreSQL pg_authid md5: md5 + hex(md5(password + role name))',
  example: 'md5<32 hex digits>; context { user }',
  contextKeys: [{ key: 'user', required: true, description: 'the role name (rolname), exactly as stored' }],
  source: 'PostgreSQL pg_md5_encrypt (src/common/md5_common.c); passlib postgres_md5',
  execution: 'inline',
  upgradeAdvice: 'Salted only by the role name: re-hash with argon2id or bcrypt (or SCRAM-SHA-256 in PostgreSQL) at the first successful sign-in.',
  identify: (hash) => shape.test(hash),
  verify({ password, hash, context }) {
    const stored = shape.test(hash) ? fromHex(hash.slice(3)) : undefined;
    if (!stored) throw malformed(id, 'expected md5 and 32 hex digits');
    return constantTimeEqual(digest('md5', password, contextString(context, 'user', id)), stored);
  },
};
