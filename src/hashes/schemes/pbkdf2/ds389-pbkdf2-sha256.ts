import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2 } from './pbkdf2.js';

const id = 'ds389_pbkdf2_sha256';
// 4-byte iterations + 64-byte salt + 256-byte key = 324 bytes = 432 base64 characters.
const shape = /^\{PBKDF2_SHA256\}([A-Za-z0-9+/]{432})$/iu;

/** 389 Directory Server's own `{PBKDF2_SHA256}` (underscore): big-endian iteration count, salt and key in one blob. */
export const ds389Pbkdf2Sha256: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: '389 Directory Server / FreeIPA `{PBKDF2_SHA256}`: PBKDF2-HMAC-SHA256 with a 64-byte salt and a 256-byte key',
  example: '{PBKDF2_SHA256}base64(uint32 iterations + 64-byte salt + 256-byte key)',
  source: '389-ds-base pbkdf2_pwd.c; hashcat mode 10901',
  execution: 'threadpool',
  upgradeAdvice: 'Sound at its default 8192+ iterations of a 256-byte key, but not readable elsewhere: re-hash at sign-in when leaving 389-DS.',
  identify: (hash) => shape.test(hash),
  async verify({ password, hash, limits }) {
    const raw = fromBase64(shape.exec(hash)?.[1] ?? '');
    if (raw?.length !== 324) throw malformed(id, 'expected base64 of 324 bytes (iterations, 64-byte salt, 256-byte key)');
    const iterations = raw.readUInt32BE(0);
    checkPbkdf2Work(iterations, 256, limits, id);
    return constantTimeEqual(await derivePbkdf2(password, raw.subarray(4, 68), iterations, 256, 'sha256'), raw.subarray(68));
  },
};
