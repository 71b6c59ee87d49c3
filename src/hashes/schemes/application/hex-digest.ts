import { constantTimeEqual, digest, fromHex, malformed, type DigestName } from '../../codec.js';
import type { HashContext, HashLimits, HashScheme } from '../../types.js';

/**
 * Lower-case hex of a digest. The PHP and Ruby applications here feed md5()/sha1() *hex text* into the
 * next round, so the intermediate must be the exact lower-case string those functions return.
 */
export function hexOf(algorithm: DigestName, ...parts: (Uint8Array | string)[]): string {
  return digest(algorithm, ...parts).toString('hex');
}

/** Decodes a stored bare hex digest of `bytes` bytes, either case (exports upper-case them now and then). */
export function storedHex(id: string, text: string, bytes: number): Buffer {
  const raw = text.length === bytes * 2 ? fromHex(text) : undefined;
  if (!raw) throw malformed(id, `expected ${bytes * 2} hex digits`);
  return raw;
}

export interface ContextHexDefinition {
  id: string;
  summary: string;
  example: string;
  source: string;
  bytes: 16 | 20;
  contextKeys: NonNullable<HashScheme['contextKeys']>;
  /** The digest the product stores, from the password (UTF-8 unless the scheme says otherwise) and context. */
  compute: (password: string, context: HashContext, limits: HashLimits) => Buffer;
}

/**
 * Forum and shop software that keeps a bare hex digest in one column and its salt (or the user name, or
 * a site key) elsewhere: nothing in the string identifies them, so they have no identify.
 */
export function contextHexScheme(definition: ContextHexDefinition): HashScheme {
  const { id, bytes, compute } = definition;
  return {
    id,
    family: 'application',
    summary: definition.summary,
    example: definition.example,
    contextKeys: definition.contextKeys,
    source: definition.source,
    execution: 'inline',
    upgradeAdvice: 'A few fast digests: re-hash with argon2id or bcrypt at the first successful sign-in.',
    verify({ password, hash, context, limits }) {
      const stored = storedHex(id, hash, bytes);
      return constantTimeEqual(compute(password, context, limits), stored);
    },
  };
}
