import { constantTimeEqual, contextString, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { msCacheV1 } from './nt.js';

const id = 'msdcc';

export const msdcc: HashScheme = {
  id,
  family: 'windows',
  summary: 'Windows domain cached credentials v1 (MS-Cache): MD4(NT hash + UTF-16LE(lower(user)))',
  example: '32 hex digits; context { user }',
  contextKeys: [{ key: 'user', required: true, description: 'the account name (sAMAccountName, no domain); it is lower-cased here' }],
  source: 'Windows NT-2003 cached logons; passlib msdcc',
  execution: 'inline',
  upgradeAdvice: 'Two MD4 calls: re-hash with argon2id or bcrypt at the first successful sign-in.',
  verify({ password, hash, context }) {
    const stored = hash.length === 32 ? fromHex(hash) : undefined;
    if (!stored) throw malformed(id, 'expected 32 hex digits');
    return constantTimeEqual(msCacheV1(password, contextString(context, 'user', id)), stored);
  },
};
