import { createHash, createHmac, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export type ScramDigest = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export const scramDigestBytes: Readonly<Record<ScramDigest, number>> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

/** RFC 5802 SaltedPassword: PBKDF2-HMAC of the (prepared) password, one digest long; libuv threadpool. */
export function saltedPassword(algorithm: ScramDigest, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, scramDigestBytes[algorithm], algorithm);
}

/** RFC 5802: StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key"). */
export function scramKeys(algorithm: ScramDigest, salted: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  const clientKey = createHmac(algorithm, salted).update('Client Key').digest();
  return {
    storedKey: createHash(algorithm).update(clientKey).digest(),
    serverKey: createHmac(algorithm, salted).update('Server Key').digest(),
  };
}
