import { constantTimeEqual, hash64EncodeLE, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes } from './crypt-common.js';
import { hmacStreebog256, streebog256 } from './streebog.js';
import { checkYescryptParams, decodeYescryptSalt, parseYescryptParams } from './yescrypt.js';
import { yescryptKdf } from './yescrypt-core.js';

const id = 'gost_yescrypt';
const shape = /^\$gy\$([./0-9A-Za-z]+)\$([./0-9A-Za-z]*)\$([./0-9A-Za-z]{43})$/u;

/**
 * libxcrypt `$gy$`: yescrypt with the same parameters and salt, then
 * HMAC-Streebog256(HMAC-Streebog256(Streebog256(password), setting), yescrypt output), where the setting is
 * the stored string up to the `$` before the hash. Password as UTF-8 bytes of a C string.
 */
export const gostYescrypt: HashScheme = {
  id,
  family: 'crypt',
  summary: 'GOST yescrypt `$gy$`: libxcrypt yescrypt wrapped in GOST R 34.11-2012 HMACs; rare (Russian GOST compliance, ALT Linux)',
  example: '$gy$j9T$salt$ + 43 hash64 characters',
  source: 'libxcrypt crypt-gost-yescrypt.c',
  execution: 'worker',
  upgradeAdvice: 'Sound but rare: re-hash with argon2id at first sign-in unless GOST algorithms are required.',
  identify: (hash) => shape.test(hash),
  verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    if (!match) throw malformed(id, 'expected $gy$params$salt$ + 43 hash64 characters');
    const [, paramText = '', saltText = '', checksum = ''] = match;
    const params = checkYescryptParams(parseYescryptParams(paramText), limits, id);
    const salt = decodeYescryptSalt(saltText);
    if (!salt) throw malformed(id, 'salt is not valid yescrypt base64');
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    const inner = yescryptKdf(bytes, salt, params);
    const setting = Buffer.from(hash.slice(0, hash.length - checksum.length - 1), 'latin1');
    const intermediate = hmacStreebog256(streebog256(bytes), setting);
    return constantTimeEqual(hash64EncodeLE(hmacStreebog256(intermediate, inner)), checksum);
  },
};
