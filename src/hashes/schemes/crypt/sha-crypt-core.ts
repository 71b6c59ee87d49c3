/**
 * Ulrich Drepper's SHA-crypt (`$5$` SHA-256, `$6$` SHA-512), as in glibc and libxcrypt. The two differ
 * only in the digest and the byte order before hash64.
 */
import { constantTimeEqual, digest, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes, cryptRounds, encodeTransposed, parseRounds } from './crypt-common.js';

const defaultRounds = 5000;
// glibc clamps rounds= to this range when hashing, so a stored value outside it was never produced by glibc.
const minRounds = 1000;
const maxRounds = 999_999_999;
const maxSaltLength = 16;

/** `length` bytes of `block` repeated (the P and S byte strings of the specification). */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += block.length) block.copy(out, offset, 0, Math.min(block.length, length - offset));
  return out;
}

export function shaCryptChecksum(
  algorithm: 'sha256' | 'sha512',
  order: readonly number[],
  password: Buffer,
  salt: Buffer,
  rounds: number,
): string {
  const b = digest(algorithm, password, salt, password);
  const aParts: Uint8Array[] = [password, salt, repeatTo(b, password.length)];
  for (let bits = password.length; bits > 0; bits >>>= 1) aParts.push(bits & 1 ? b : password);
  const a = digest(algorithm, ...aParts);
  const pBytes = repeatTo(digest(algorithm, ...Array<Buffer>(password.length).fill(password)), password.length);
  const sBytes = repeatTo(digest(algorithm, ...Array<Buffer>(16 + (a[0] ?? 0)).fill(salt)), salt.length);
  return encodeTransposed(cryptRounds(algorithm, pBytes, sBytes, a, rounds), order);
}

export function shaCryptScheme(options: {
  id: string;
  magic: '$5$' | '$6$';
  algorithm: 'sha256' | 'sha512';
  order: readonly number[];
  summary: string;
}): HashScheme {
  const { id, magic, algorithm, order } = options;
  const checksumLength = algorithm === 'sha256' ? 43 : 86;
  const escaped = magic.replace(/\$/gu, '\\$');
  const parse = new RegExp(`^${escaped}(?:rounds=([^$]*)\\$)?([^$]*)\\$([./0-9A-Za-z]{${checksumLength}})$`, 'u');
  const identifyShape = new RegExp(
    `^${escaped}(?:rounds=[1-9][0-9]{0,8}\\$)?[./0-9A-Za-z]{0,16}\\$[./0-9A-Za-z]{${checksumLength}}$`,
    'u',
  );
  return {
    id,
    family: 'crypt',
    summary: options.summary,
    example: `${magic}[rounds=N$]salt$ + ${checksumLength} hash64 characters`,
    source: 'glibc / libxcrypt crypt(3) (Drepper SHA-crypt specification); passlib ' + id,
    execution: 'worker',
    upgradeAdvice: 'Salted and iterated, but GPU-friendly: re-hash with argon2id or bcrypt at first sign-in.',
    identify: (hash) => identifyShape.test(hash),
    verify({ password, hash, limits }) {
      const match = parse.exec(hash);
      if (!match) throw malformed(id, `expected ${magic}[rounds=N$]salt$ + ${checksumLength} hash64 characters`);
      const [, roundsText, saltText = '', checksum = ''] = match;
      const rounds = roundsText === undefined ? defaultRounds : parseRounds(roundsText, id);
      if (rounds < minRounds || rounds > maxRounds) throw malformed(id, `rounds outside ${minRounds}..${maxRounds}`);
      if (saltText.length > maxSaltLength) throw malformed(id, 'salt longer than 16 characters');
      assertWithinLimit(rounds, limits.maxCryptRounds, 'rounds', id);
      const bytes = cPasswordBytes(password);
      if (!bytes) return false;
      const computed = shaCryptChecksum(algorithm, order, bytes, Buffer.from(saltText, 'utf8'), rounds);
      return constantTimeEqual(computed, checksum);
    },
  };
}
