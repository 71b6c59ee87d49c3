import { constantTimeEqual, digest, fromBase64, fromHex, malformed, type DigestName } from '../../codec.js';
import type { HashContext, HashScheme } from '../../types.js';
import { stripDovecotPrefix, stripPrefix, type BodyEncoding } from './prefix.js';

const digestBytes: Readonly<Record<DigestName, number>> = { md4: 16, md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

export interface PrefixedDigestOptions {
  id: string;
  family: 'ldap' | 'dovecot';
  /** Scheme name between the braces. */
  prefix: string;
  algorithm: DigestName;
  /** RFC 2307 salted layout: digest(password + salt) followed by the salt, of any length >= 1 byte. */
  salted: boolean;
  /**
   * Encodings accepted for the part after the prefix, tried in order and told apart by length (Dovecot
   * decodes fixed-size digests as hex when the text is twice the digest size, as base64 otherwise).
   */
  encodings: readonly BodyEncoding[];
  summary: string;
  source: string;
  /** What is hashed, when it is not digest(password + salt): CRAM-MD5 contexts, DIGEST-MD5 user:realm:password. */
  compute?: (password: string, context: HashContext) => Buffer;
  /** Stored byte length when compute returns something other than one digest. */
  size?: number;
  contextKeys?: HashScheme['contextKeys'];
  example?: string;
  upgradeAdvice?: string;
}

/** Padding, when present, must complete the last quantum: `abc=` is fine, `abcd=` is not. */
function canonicalBase64(text: string): Buffer | undefined {
  return text.includes('=') && text.length % 4 !== 0 ? undefined : fromBase64(text);
}

/**
 * `{SCHEME}` + encoded digest, plain or salted: OpenLDAP's {SHA}/{SSHA}/{MD5}/{SMD5} and the pw-sha2
 * module, passlib's hex variants, and Dovecot's schemes of the same algorithms. The password is hashed as
 * its UTF-8 bytes, as slapd and Dovecot receive it.
 */
export function prefixedDigestScheme(options: PrefixedDigestOptions): HashScheme {
  const { id, prefix, algorithm, salted } = options;
  const size = options.size ?? digestBytes[algorithm];
  const split = (hash: string): { body: string; encoding?: BodyEncoding } | undefined => {
    if (options.family === 'dovecot') return stripDovecotPrefix(hash, prefix);
    const body = stripPrefix(hash, prefix);
    return body === undefined ? undefined : { body };
  };
  /** Digest and salt, or undefined when the string does not have this scheme's shape. */
  const decode = (hash: string): { expected: Buffer; salt: Buffer } | undefined => {
    const parts = split(hash);
    if (!parts) return undefined;
    for (const encoding of parts.encoding ? [parts.encoding] : options.encodings) {
      const raw = encoding === 'hex' ? fromHex(parts.body) : canonicalBase64(parts.body);
      if (raw && (salted ? raw.length > size : raw.length === size)) return { expected: raw.subarray(0, size), salt: raw.subarray(size) };
    }
    return undefined;
  };
  const name = algorithm.toUpperCase();
  const encodingText = options.encodings.join(' or ');
  return {
    id,
    family: options.family,
    summary: options.summary,
    ...(options.contextKeys ? { contextKeys: options.contextKeys } : {}),
    example: options.example ?? (salted ? `{${prefix}}${encodingText}(${algorithm}(password + salt) + salt)` : `{${prefix}}${encodingText}(${algorithm}(password))`),
    source: options.source,
    execution: 'inline',
    upgradeAdvice: options.upgradeAdvice ?? `Fast ${salted ? 'salted' : 'unsalted'} ${name}: re-hash with argon2id or bcrypt at first sign-in.`,
    identify: (hash) => decode(hash) !== undefined,
    verify({ password, hash, context }) {
      const parts = decode(hash);
      if (!parts) {
        throw malformed(id, salted ? `expected {${prefix}} and ${encodingText} of a ${size}-byte digest plus a salt` : `expected {${prefix}} and ${encodingText} of a ${size}-byte digest`);
      }
      const actual = options.compute ? options.compute(password, context) : digest(algorithm, password, parts.salt);
      return constantTimeEqual(actual, parts.expected);
    },
  };
}
