import { constantTimeEqual, fromAb64, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashScheme } from '../../types.js';
import { passlibSaslprep } from './saslprep.js';
import { saltedPassword, scramDigestBytes, type ScramDigest } from './scram-core.js';

const id = 'scram';
const shape = /^\$scram\$([0-9]{1,10})\$([./A-Za-z0-9]*)\$([a-z0-9-]+=[./A-Za-z0-9]+(?:,[a-z0-9-]+=[./A-Za-z0-9]+)*)$/u;
const ianaNames: Readonly<Record<string, ScramDigest>> = { 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };
/** passlib checks one digest, the first of these present. */
const verifyOrder = ['sha-256', 'sha-512', 'sha-224', 'sha-384', 'sha-1'] as const;

function parse(hash: string): { rounds: number; salt: Buffer; digests: Map<string, Buffer> } | undefined {
  const match = shape.exec(hash);
  if (!match) return undefined;
  const [, rounds = '', saltText = '', list = ''] = match;
  const salt = fromAb64(saltText);
  if (!salt || Number(rounds) < 1) return undefined;
  const digests = new Map<string, Buffer>();
  for (const entry of list.split(',')) {
    const [name = '', value = ''] = entry.split('=');
    const bytes = fromAb64(value);
    const algorithm = ianaNames[name];
    if (!bytes || digests.has(name) || (algorithm !== undefined && bytes.length !== scramDigestBytes[algorithm])) return undefined;
    digests.set(name, bytes);
  }
  // passlib always stores SHA-1, the digest RFC 5802 mandates.
  return digests.has('sha-1') ? { rounds: Number(rounds), salt, digests } : undefined;
}

/**
 * passlib's `$scram$rounds$salt$sha-1=...,sha-256=...`: the SCRAM SaltedPassword (PBKDF2-HMAC) for each
 * listed digest, salt and digests in passlib's adapted base64. The password goes through passlib's SASLprep, then
 * UTF-8; a password passlib's SASLprep refuses (it could never have been hashed) is wrong.
 */
export const scram: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: "passlib SCRAM: PBKDF2 SaltedPassword for several digests, ready for SCRAM-SHA-* authentication",
  example: '$scram$rounds$salt$sha-1=digest,sha-256=digest',
  source: 'passlib scram',
  execution: 'threadpool',
  upgradeAdvice: 'PBKDF2 with the stored rounds: re-hash with argon2id or pbkdf2_sha256 at first sign-in.',
  identify: (hash) => parse(hash) !== undefined,
  async verify({ password, hash, limits }) {
    const parsed = parse(hash);
    if (!parsed) throw malformed(id, 'expected $scram$rounds$salt$ and a sha-1=... digest list in adapted base64');
    assertWithinLimit(parsed.rounds, limits.maxPbkdf2Iterations, 'iterations', id);
    const prepared = passlibSaslprep(password);
    if (prepared === undefined) return false;
    const name = verifyOrder.find((candidate) => parsed.digests.has(candidate)) ?? 'sha-1';
    const algorithm = ianaNames[name] ?? 'sha1';
    const expected = parsed.digests.get(name) ?? Buffer.alloc(0);
    return constantTimeEqual(await saltedPassword(algorithm, prepared, parsed.salt, parsed.rounds), expected);
  },
};
