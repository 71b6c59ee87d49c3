import { constantTimeEqual } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { bcryptComputeAsync, modernVariants, parseBcrypt, nativeBcryptBackend } from './bcrypt-core.js';

const id = 'wbb4_double_bcrypt';

/**
 * WoltLab Burning Board 4 / WCF 2: crypt(crypt(password, salt), salt), the inner 60-character bcrypt
 * string being the outer password. Same shape as plain bcrypt, so no identify.
 */
export const wbb4DoubleBcrypt: HashScheme = {
  id,
  family: 'bcrypt',
  summary: 'WoltLab Burning Board 4 (WCF 2): bcrypt of the bcrypt hash of the password, same salt',
  example: '$2a$08$<22 salt chars><31 hash chars> (same shape as bcrypt: name the scheme)',
  source: 'WoltLab WCF PasswordUtil::getDoubleSaltedHash; hashcat mode 33800',
  execution: 'worker',
  threadpoolWith: nativeBcryptBackend,
  upgradeAdvice: 'Re-hash with bcrypt or argon2id at first sign-in.',
  async verify({ password, hash, limits }) {
    parseBcrypt(hash, id, modernVariants, limits);
    if (password.includes('\0')) return false;
    const setting = hash.slice(0, 29);
    return constantTimeEqual(await bcryptComputeAsync(await bcryptComputeAsync(password, setting), setting), hash);
  },
};
