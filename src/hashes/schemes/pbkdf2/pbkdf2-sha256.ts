import type { HashScheme } from '../../types.js';
import { hashPbkdf2Sha256, owaspPbkdf2Sha256Rounds, passlibPbkdf2 } from './modular.js';

const base = passlibPbkdf2('pbkdf2_sha256', 'sha256', 'passlib modular PBKDF2-HMAC-SHA256 `$pbkdf2-sha256$`; the PBKDF2 format this library writes');

/** The one PBKDF2 format worth writing today: passlib's, so Python and most import APIs can read it back. */
export const pbkdf2Sha256: HashScheme = {
  ...base,
  needsUpgrade(hash) {
    const rounds = /^\$pbkdf2-sha256\$([0-9]{1,15})\$/u.exec(hash)?.[1];
    return rounds === undefined || Number(rounds) < owaspPbkdf2Sha256Rounds;
  },
  hash: (password, options, limits) => hashPbkdf2Sha256(password, options, limits.maxPbkdf2Iterations),
};
