import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashScheme } from '../../types.js';
import { postgresSaslprep } from './saslprep.js';
import { saltedPassword, scramKeys } from './scram-core.js';

const id = 'postgres_scram_sha256';
const shape = /^SCRAM-SHA-256\$([0-9]{1,10}):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/u;

function parse(hash: string): { iterations: number; salt: Buffer; serverKey: Buffer } | undefined {
  const match = shape.exec(hash);
  if (!match) return undefined;
  const [, iterations = '', saltText = '', storedText = '', serverText = ''] = match;
  const salt = fromBase64(saltText);
  const storedKey = fromBase64(storedText);
  const serverKey = fromBase64(serverText);
  if (!salt || salt.length === 0 || storedKey?.length !== 32 || serverKey?.length !== 32 || Number(iterations) < 1) return undefined;
  return { iterations: Number(iterations), salt, serverKey };
}

/**
 * PostgreSQL 10+ pg_authid.rolpassword `SCRAM-SHA-256$iter:salt$StoredKey:ServerKey`. Like PostgreSQL's
 * scram_verify_plain_password: PostgreSQL's own SASLprep of the password (the raw password when it refuses
 * one: an emoji or other code point unassigned in Unicode 3.2, mixed right-to-left and left-to-right text),
 * derive ServerKey and compare it.
 */
export const postgresScramSha256: HashScheme = {
  id,
  family: 'database',
  summary: 'PostgreSQL SCRAM-SHA-256 verifier (pg_authid, default since PostgreSQL 14)',
  example: 'SCRAM-SHA-256$4096:salt$StoredKey:ServerKey',
  source: 'PostgreSQL (src/backend/libpq/auth-scram.c)',
  execution: 'threadpool',
  upgradeAdvice: 'PBKDF2-SHA256 with the stored iterations (4096 by default): re-hash with argon2id at first sign-in.',
  identify: (hash) => parse(hash) !== undefined,
  async verify({ password, hash, limits }) {
    const parsed = parse(hash);
    if (!parsed) throw malformed(id, 'expected SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey with base64 32-byte keys');
    assertWithinLimit(parsed.iterations, limits.maxPbkdf2Iterations, 'iterations', id);
    const salted = await saltedPassword('sha256', postgresSaslprep(password) ?? password, parsed.salt, parsed.iterations);
    return constantTimeEqual(scramKeys('sha256', salted).serverKey, parsed.serverKey);
  },
};
