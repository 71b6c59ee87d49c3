import { constantTimeEqual, hash64EncodeLE } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { hmacStreebog256, streebog256 } from './streebog.js';
import { runYescrypt } from './yescrypt.js';

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
    const run = runYescrypt(id, shape, '$gy$', password, hash, limits);
    if (run === false) return false;
    const setting = Buffer.from(hash.slice(0, hash.length - run.checksum.length - 1), 'latin1');
    const intermediate = hmacStreebog256(streebog256(run.bytes), setting);
    return constantTimeEqual(hash64EncodeLE(hmacStreebog256(intermediate, run.output)), run.checksum);
  },
};
