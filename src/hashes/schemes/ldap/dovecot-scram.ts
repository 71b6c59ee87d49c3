import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashScheme } from '../../types.js';
import { stripPrefix } from './prefix.js';
import { saltedPassword, scramDigestBytes, scramKeys } from './scram-core.js';

/**
 * Dovecot `{SCRAM-SHA-1}`/`{SCRAM-SHA-256}`: `iterations,salt,StoredKey,ServerKey` in base64. Like Dovecot's
 * scram_verify: no SASLprep (the UTF-8 bytes as sent), iteration counts below 4096 refused, StoredKey
 * compared.
 */
export function dovecotScramScheme(algorithm: 'sha1' | 'sha256'): HashScheme {
  const prefix = algorithm === 'sha1' ? 'SCRAM-SHA-1' : 'SCRAM-SHA-256';
  const id = algorithm === 'sha1' ? 'dovecot_scram_sha_1' : 'dovecot_scram_sha_256';
  const size = scramDigestBytes[algorithm];
  const parse = (hash: string): { iterations: number; salt: Buffer; storedKey: Buffer } | undefined => {
    const fields = stripPrefix(hash, prefix)?.split(',');
    if (fields?.length !== 4) return undefined;
    const [iterations = '', saltText = '', storedText = '', serverText = ''] = fields;
    const salt = fromBase64(saltText);
    const storedKey = fromBase64(storedText);
    if (!/^[0-9]{1,10}$/u.test(iterations) || !salt || salt.length === 0 || storedKey?.length !== size || fromBase64(serverText)?.length !== size) return undefined;
    return { iterations: Number(iterations), salt, storedKey };
  };
  return {
    id,
    family: 'dovecot',
    summary: `Dovecot {${prefix}}: SCRAM verifier (iterations, salt, StoredKey, ServerKey)`,
    example: `{${prefix}}4096,salt,StoredKey,ServerKey`,
    source: 'Dovecot doveadm pw',
    execution: 'threadpool',
    upgradeAdvice: `PBKDF2-${algorithm.toUpperCase()} with the stored iterations: re-hash with argon2id at first sign-in.`,
    identify: (hash) => parse(hash) !== undefined,
    async verify({ password, hash, limits }) {
      const parsed = parse(hash);
      if (!parsed) throw malformed(id, `expected {${prefix}} and iterations,salt,StoredKey,ServerKey in base64`);
      if (parsed.iterations < 4096) throw malformed(id, 'iteration count below 4096, which Dovecot refuses');
      assertWithinLimit(parsed.iterations, limits.maxPbkdf2Iterations, 'iterations', id);
      const salted = await saltedPassword(algorithm, password, parsed.salt, parsed.iterations);
      return constantTimeEqual(scramKeys(algorithm, salted).storedKey, parsed.storedKey);
    },
  };
}
