import { digest, hash64EncodeLE, hash64Value, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashLimits } from '../../types.js';

/**
 * The "portable" iterated hash shared by phpass ($P$/$H$, MD5) and Drupal 7 ($S$, SHA-512):
 * h = H(salt . password), then 2^N times h = H(h . password), written in the crypt alphabet.
 * The setting is `$X$` + one character for N + 8 salt characters.
 */
export interface PortableSetting {
  log2: number;
  salt: string;
}

const saltPattern = /^[./0-9A-Za-z]{8}$/u;

/** Reads N and the salt after a 3-character `$X$` prefix; both products allow N from 7 to 30. */
export function parsePortableSetting(id: string, hash: string, limits: HashLimits): PortableSetting {
  const log2 = hash64Value(hash.charAt(3));
  const salt = hash.slice(4, 12);
  if (log2 < 7 || log2 > 30) throw malformed(id, 'iteration count character out of range');
  if (!saltPattern.test(salt)) throw malformed(id, 'expected 8 salt characters from the crypt alphabet');
  assertWithinLimit(2 ** log2, limits.maxCryptRounds, 'rounds', id);
  return { log2, salt };
}

/** Runs the loop and returns the crypt-alphabet text of the final digest (22 characters for MD5, 86 for SHA-512). */
export function portableHash(algorithm: 'md5' | 'sha512', setting: PortableSetting, password: Uint8Array): string {
  let value = digest(algorithm, setting.salt, password);
  for (let count = 2 ** setting.log2; count > 0; count--) value = digest(algorithm, value, password);
  return hash64EncodeLE(value);
}
