import { constantTimeEqual, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { ntHash } from './nt.js';

const id = 'nthash';

export const nthash: HashScheme = {
  id,
  family: 'windows',
  summary: 'Windows NT hash: MD4(UTF-16LE(password)), 32 hex digits (AD, SAM, Samba smbpasswd, FreeRADIUS)',
  example: '32 hex digits',
  source: 'Microsoft MS-NLMP NTOWFv1; passlib nthash',
  execution: 'inline',
  upgradeAdvice: 'Unsalted MD4 and a pass-the-hash credential: re-hash with argon2id or bcrypt at the first successful sign-in.',
  verify({ password, hash }) {
    const stored = hash.length === 32 ? fromHex(hash) : undefined;
    if (!stored) throw malformed(id, 'expected 32 hex digits');
    return constantTimeEqual(ntHash(password), stored);
  },
};
