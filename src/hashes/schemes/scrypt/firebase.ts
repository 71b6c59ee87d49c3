/**
 * Firebase Auth's modified scrypt (firebase/scrypt): key = scrypt(password, salt + saltSeparator,
 * N = 2^memCost, r = rounds, p), then the project's signer key is encrypted with AES-256-CTR under the first
 * 32 key bytes and an all-zero IV; the stored hash is that ciphertext.
 */
import { createCipheriv } from 'node:crypto';
import { constantTimeEqual, malformed, minStoredKeyBytes } from '../../codec.js';
import type { HashLimits } from '../../types.js';
import { checkScryptCost, deriveScrypt } from './primitive.js';

export interface FirebaseParameters {
  salt: Buffer;
  saltSeparator: Buffer;
  signerKey: Buffer;
  memCost: number;
  rounds: number;
  parallelism: number;
}

export async function firebaseScryptMatches(password: string, parameters: FirebaseParameters, stored: Buffer, limits: HashLimits, id: string): Promise<boolean> {
  // The stored hash is the signer key encrypted: as long as the signer key, which the hash may carry itself.
  if (stored.length < minStoredKeyBytes) throw malformed(id, `stored hash shorter than ${minStoredKeyBytes} bytes`);
  const cost = { N: 2 ** parameters.memCost, r: parameters.rounds, p: parameters.parallelism };
  checkScryptCost(cost, 32, limits, id);
  const key = await deriveScrypt(password, Buffer.concat([parameters.salt, parameters.saltSeparator]), cost, 32);
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return constantTimeEqual(Buffer.concat([cipher.update(parameters.signerKey), cipher.final()]), stored);
}
