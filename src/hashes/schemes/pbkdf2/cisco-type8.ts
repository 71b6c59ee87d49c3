import { constantTimeEqual, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, ciscoBase64Encode, ciscoHashPattern, derivePbkdf2 } from './pbkdf2.js';

const id = 'cisco_type8';
const iterations = 20_000;

/** Cisco IOS type 8: PBKDF2-HMAC-SHA256, 20,000 iterations, the 14-character salt used as text. */
export const ciscoType8: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: 'Cisco IOS/IOS-XE type 8 secret `$8$`: PBKDF2-HMAC-SHA256, 20,000 iterations, Cisco base64',
  example: '$8$14-char-salt$43-char-key',
  source: 'Cisco IOS `enable algorithm-type sha256 secret`; hashcat mode 9200',
  execution: 'threadpool',
  upgradeAdvice: 'Device secret: re-hash with argon2id or bcrypt if it is used to sign in to an application.',
  identify: (hash) => ciscoHashPattern.exec(hash)?.[1] === '8',
  async verify({ password, hash, limits }) {
    const match = ciscoHashPattern.exec(hash);
    if (match?.[1] !== '8') throw malformed(id, 'expected $8$ + 14-character salt + $ + 43-character key');
    checkPbkdf2Work(iterations, 32, limits, id);
    const key = await derivePbkdf2(password, match[2] ?? '', iterations, 32, 'sha256');
    return constantTimeEqual(ciscoBase64Encode(key), match[3] ?? '');
  },
};
