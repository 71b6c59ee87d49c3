import { constantTimeEqual, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, parseDecimal } from './pbkdf2.js';

const id = 'grub_pbkdf2_sha512';
// grub-mkpasswd-pbkdf2 writes upper-case hex; hex is read case-insensitively. The key is 64 bytes.
const shape = /^grub\.pbkdf2\.sha512\.([0-9]+)\.((?:[0-9A-Fa-f]{2})+)\.([0-9A-Fa-f]{128})$/u;

/** GRUB 2 `password_pbkdf2`: PBKDF2-HMAC-SHA512 over the UTF-8 password and the decoded salt. */
export const grubPbkdf2Sha512: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: 'GRUB 2 password_pbkdf2 (grub-mkpasswd-pbkdf2): PBKDF2-HMAC-SHA512, hex salt and key',
  example: 'grub.pbkdf2.sha512.iterations.SALTHEX.KEYHEX',
  source: 'GRUB 2 grub-mkpasswd-pbkdf2; passlib grub_pbkdf2_sha512',
  execution: 'threadpool',
  upgradeAdvice: 'A boot-loader password, not a user login: re-hash with argon2id or bcrypt if it is used to sign in.',
  identify(hash) {
    const match = shape.exec(hash);
    return match !== null && parseDecimal(match[1]) !== undefined;
  },
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const rounds = parseDecimal(match?.[1]);
    const salt = fromHex(match?.[2] ?? '');
    const key = fromHex(match?.[3] ?? '');
    if (!match || rounds === undefined || !salt || !key) throw malformed(id, 'expected grub.pbkdf2.sha512.N.salt-hex.128-hex-key');
    checkPbkdf2Work(rounds, 64, limits, id);
    return constantTimeEqual(await derivePbkdf2(password, salt, rounds, 64, 'sha512'), key);
  },
};
