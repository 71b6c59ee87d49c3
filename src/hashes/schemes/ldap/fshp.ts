import { hash as oneShot } from 'node:crypto';
import { assertWithinLimit } from '../../limits.js';
import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const id = 'fshp';
const shape = /^\{FSHP([0-9]{1,2})\|([0-9]{1,4})\|([0-9]{1,10})\}([A-Za-z0-9+/]+={0,2})$/u;
/** FSHP variant digit -> digest: 0 SHA-1, 1 SHA-256, 2 SHA-384, 3 SHA-512. */
const variants: readonly (readonly ['sha1' | 'sha256' | 'sha384' | 'sha512', number])[] = [
  ['sha1', 20],
  ['sha256', 32],
  ['sha384', 48],
  ['sha512', 64],
];

function parse(hash: string): { algorithm: 'sha1' | 'sha256' | 'sha384' | 'sha512'; rounds: number; salt: Buffer; checksum: Buffer } | undefined {
  const match = shape.exec(hash);
  if (!match) return undefined;
  const [, variant = '', saltSize = '', rounds = '', body = ''] = match;
  const info = variants[Number(variant)];
  const raw = fromBase64(body);
  if (!info || !raw || Number(rounds) < 1 || raw.length !== Number(saltSize) + info[1]) return undefined;
  return { algorithm: info[0], rounds: Number(rounds), salt: raw.subarray(0, Number(saltSize)), checksum: raw.subarray(Number(saltSize)) };
}

/**
 * Fairly Secure Hashed Password: `{FSHP<variant>|<salt bytes>|<rounds>}base64(salt + checksum)`, where the
 * checksum is PBKDF1 with salt and password swapped: H(salt + password), then H(previous) rounds - 1 times.
 * Password as UTF-8, as passlib does.
 */
export const fshp: HashScheme = {
  id,
  family: 'ldap',
  summary: 'FSHP (Fairly Secure Hashed Password): iterated salted SHA-1/SHA-2 (rare)',
  example: '{FSHP1|16|16384}base64(salt + checksum)',
  source: 'passlib fshp',
  // passlib's default is 480,000 digest rounds: far too long for the event loop.
  execution: 'worker',
  upgradeAdvice: 'Iterated SHA without a memory-hard step: re-hash with argon2id or bcrypt at first sign-in.',
  identify: (hash) => parse(hash) !== undefined,
  verify({ password, hash, limits }) {
    const parsed = parse(hash);
    if (!parsed) throw malformed(id, 'expected {FSHP<0-3>|<salt size>|<rounds>} and base64 of the salt and digest');
    assertWithinLimit(parsed.rounds, limits.maxCryptRounds, 'rounds', id);
    let block = oneShot(parsed.algorithm, Buffer.concat([parsed.salt, Buffer.from(password, 'utf8')]), 'buffer');
    for (let round = 1; round < parsed.rounds; round++) block = oneShot(parsed.algorithm, block, 'buffer');
    return constantTimeEqual(block, parsed.checksum);
  },
};
