import { constantTimeEqual, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { md5CryptChecksum } from '../crypt/md5-crypt-core.js';

const id = 'aix_smd5';
const shape = /^\{smd5\}([./0-9A-Za-z]{0,8})\$([./0-9A-Za-z]{22})$/u;

/**
 * IBM AIX `{smd5}salt$hash`: MD5-crypt with an empty magic (openssl passwd -aixmd5, hashcat 6300), computed
 * by the crypt family's MD5-crypt loop. The
 * prefix is lower-case in AIX's security/passwd file and in passlib. Password bytes as UTF-8.
 */
export const aixSmd5: HashScheme = {
  id,
  family: 'ldap',
  summary: 'IBM AIX {smd5}: MD5-crypt without the $1$ magic (rare, legacy Unix estates)',
  example: '{smd5}salt$22-char-hash',
  source: 'openssl passwd -aixmd5; passlib aix_smd5',
  execution: 'worker',
  upgradeAdvice: 'MD5-crypt strength (1,000 MD5 rounds): re-hash with argon2id or bcrypt at first sign-in.',
  identify: (hash) => shape.test(hash),
  verify({ password, hash }) {
    const match = shape.exec(hash);
    if (!match) throw malformed(id, 'expected {smd5}, a salt of up to 8 crypt characters, $ and 22 characters');
    const [, salt = '', checksum = ''] = match;
    return constantTimeEqual(md5CryptChecksum(Buffer.from(password, 'utf8'), Buffer.from(salt, 'latin1'), ''), checksum);
  },
};
