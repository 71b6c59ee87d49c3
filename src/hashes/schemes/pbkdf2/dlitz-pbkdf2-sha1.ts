import { constantTimeEqual, malformed, toAb64 } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2 } from './pbkdf2.js';

const id = 'dlitz_pbkdf2_sha1';
// Rounds in lower-case hex, absent meaning 400; the salt is text; the 24-byte key is 32 ab64 characters.
const shape = /^(\$p5k2\$([1-9a-f][0-9a-f]{0,7})?\$[./0-9A-Za-z]*)\$([./0-9A-Za-z]{32})$/u;
const defaultRounds = 400;

/**
 * Dwayne Litzenberger's python-pbkdf2 `$p5k2$`: the PBKDF2 salt is the whole configuration string
 * (`$p5k2$rounds$salt`), not just the salt; that quirk is why passlib calls it weaker.
 */
export const dlitzPbkdf2Sha1: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: "Dwayne Litzenberger's python-pbkdf2 `$p5k2$` crypt: PBKDF2-HMAC-SHA1, 24-byte key",
  example: '$p5k2$hex-rounds$salt$32-character-key',
  source: 'passlib dlitz_pbkdf2_sha1 (python-pbkdf2 crypt())',
  execution: 'threadpool',
  upgradeAdvice: 'Re-hash with argon2id, bcrypt or pbkdf2_sha256 at first sign-in.',
  identify: (hash) => shape.test(hash),
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    if (!match) throw malformed(id, 'expected $p5k2$hex-rounds$salt$32-character key');
    const rounds = match[2] === undefined ? defaultRounds : Number.parseInt(match[2], 16);
    checkPbkdf2Work(rounds, 24, limits, id);
    const key = await derivePbkdf2(password, match[1] ?? '', rounds, 24, 'sha1');
    return constantTimeEqual(toAb64(key), match[3] ?? '');
  },
};
