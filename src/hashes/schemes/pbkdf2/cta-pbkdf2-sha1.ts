import { constantTimeEqual, fromBase64Url, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2 } from './pbkdf2.js';

const id = 'cta_pbkdf2_sha1';
// Rounds in lower-case hex; salt and the 20-byte key in padded url-safe base64 (28 characters, ending `=`).
const shape = /^\$p5k2\$([1-9a-f][0-9a-f]{0,7})\$([A-Za-z0-9_-]*={0,2})\$([A-Za-z0-9_-]{27}=)$/u;

/** Cryptacular's `$p5k2$`: PBKDF2-HMAC-SHA1 over the UTF-8 password and the decoded salt. */
export const ctaPbkdf2Sha1: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: "Cryptacular's PBKDF2-HMAC-SHA1 `$p5k2$` (Python), url-safe base64 salt and key",
  example: '$p5k2$hex-rounds$salt-b64url$key-b64url',
  source: 'passlib cta_pbkdf2_sha1 (Cryptacular)',
  execution: 'threadpool',
  upgradeAdvice: 'Re-hash with argon2id, bcrypt or pbkdf2_sha256 at first sign-in.',
  identify(hash) {
    const match = shape.exec(hash);
    return match !== null && fromBase64Url(match[2] ?? '') !== undefined && (match[2] ?? '').length % 4 === 0;
  },
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const salt = fromBase64Url(match?.[2] ?? '');
    const key = fromBase64Url(match?.[3] ?? '');
    if (!match || !salt || key?.length !== 20) throw malformed(id, 'expected $p5k2$hex-rounds$salt$28-character key');
    const rounds = Number.parseInt(match[1] ?? '', 16);
    checkPbkdf2Work(rounds, 20, limits, id);
    return constantTimeEqual(await derivePbkdf2(password, salt, rounds, 20, 'sha1'), key);
  },
};
