import { constantTimeEqual, contextString, digest, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const id = 'htdigest';

/** Apache .htdigest / HTTP Digest HA1: md5(user:realm:password), text as UTF-8 (as htdigest writes bytes). */
export const htdigest: HashScheme = {
  id,
  family: 'network',
  summary: 'Apache htdigest (HTTP Digest HA1): md5(user:realm:password)',
  example: '32 hex digits; context { user, realm }',
  contextKeys: [
    { key: 'user', required: true, description: 'the first field of the .htdigest line' },
    { key: 'realm', required: true, description: 'the second field of the .htdigest line' },
  ],
  source: 'Apache htdigest; passlib htdigest',
  execution: 'inline',
  upgradeAdvice: 'Unsalted MD5 usable as a Digest credential: re-hash with argon2id or bcrypt at the first successful sign-in.',
  verify({ password, hash, context }) {
    const stored = hash.length === 32 ? fromHex(hash) : undefined;
    if (!stored) throw malformed(id, 'expected 32 hex digits');
    const user = contextString(context, 'user', id);
    const realm = contextString(context, 'realm', id);
    return constantTimeEqual(digest('md5', `${user}:${realm}:${password}`), stored);
  },
};
