import { constantTimeEqual, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { ciscoBase64Encode, ciscoHashPattern } from '../pbkdf2/pbkdf2.js';
import { checkScryptCost, deriveScrypt } from './primitive.js';

const id = 'cisco_type9';
const cost = { N: 16_384, r: 1, p: 1 };

/** Cisco IOS type 9: scrypt N=16384, r=1, p=1 over the 14-character salt text, Cisco base64 key. */
export const ciscoType9: HashScheme = {
  id,
  family: 'scrypt',
  summary: 'Cisco IOS/IOS-XE type 9 secret `$9$`: scrypt N=16384, r=1, p=1, Cisco base64',
  example: '$9$14-char-salt$43-char-key',
  source: 'Cisco IOS `enable algorithm-type scrypt secret`; hashcat mode 9300',
  execution: 'threadpool',
  upgradeAdvice: 'Device secret: re-hash with argon2id or bcrypt if it is used to sign in to an application.',
  identify: (hash) => ciscoHashPattern.exec(hash)?.[1] === '9',
  async verify({ password, hash, limits }) {
    const match = ciscoHashPattern.exec(hash);
    if (match?.[1] !== '9') throw malformed(id, 'expected $9$ + 14-character salt + $ + 43-character key');
    checkScryptCost(cost, 32, limits, id);
    return constantTimeEqual(ciscoBase64Encode(await deriveScrypt(password, match[2] ?? '', cost, 32)), match[3] ?? '');
  },
};
