import { pbkdf2 } from 'node:crypto';
import { constantTimeEqual, contextString, fromHex, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashScheme } from '../../types.js';
import { msCacheV1 } from './nt.js';

const id = 'msdcc2';
/** hashcat's and secretsdump's `$DCC2$<iterations>#<user>#<hex>` carries its own user and count. */
const dcc2Form = /^\$DCC2\$(\d{1,9})#([^#]+)#([0-9a-fA-F]{32})$/u;
/** Windows Vista+ default (HKLM\SECURITY\Cache NL$IterationCount 10240). */
const defaultIterations = 10240;

export const msdcc2: HashScheme = {
  id,
  family: 'windows',
  summary: 'Windows domain cached credentials v2 (MS-Cache v2): PBKDF2-HMAC-SHA1(MS-Cache v1, UTF-16LE(lower(user)), 10240, 16)',
  example: '32 hex digits with context { user }, or $DCC2$10240#user#<32 hex>',
  contextKeys: [{ key: 'user', required: false, description: 'the account name; it is lower-cased here (required for bare hex)' }],
  source: 'Windows Vista+ cached logons; passlib msdcc2',
  execution: 'threadpool',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at the first successful sign-in.',
  identify: (hash) => dcc2Form.test(hash),
  async verify({ password, hash, context, limits }) {
    const tagged = dcc2Form.exec(hash);
    const stored = fromHex(tagged ? (tagged[3] ?? '') : hash.length === 32 ? hash : '');
    if (!stored || stored.length !== 16) throw malformed(id, 'expected 32 hex digits or $DCC2$iterations#user#hex');
    const iterations = tagged ? Number(tagged[1]) : defaultIterations;
    if (iterations < 1) throw malformed(id, 'iterations must be positive');
    assertWithinLimit(iterations, limits.maxPbkdf2Iterations, 'iterations', id);
    const user = tagged ? (tagged[2] ?? '') : contextString(context, 'user', id);
    const salt = Buffer.from(user.toLowerCase(), 'utf16le');
    const derived = await new Promise<Buffer>((resolve, reject) => {
      pbkdf2(msCacheV1(password, user), salt, iterations, 16, 'sha1', (error, key) => {
        if (error) reject(error);
        else resolve(key);
      });
    });
    return constantTimeEqual(derived, stored);
  },
};
