import { constantTimeEqual, digest, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

/**
 * Django's legacy digest hashers. Django compares the lower-case hex *text* it computes with the stored
 * text, so an upper-cased row does not verify there and does not here either.
 */
export function djangoSaltedDigest(id: string, algorithm: 'md5' | 'sha1', hasher: string): HashScheme {
  const hexLength = algorithm === 'md5' ? 32 : 40;
  const shape = new RegExp(`^${algorithm}\\$([^$]+)\\$([0-9a-fA-F]{${hexLength}})$`, 'u');
  return {
    id,
    family: 'application',
    summary: `Django ${hasher}: ${algorithm}$salt$hex of ${algorithm}(salt + password)`,
    example: `${algorithm}$<salt>$<${hexLength} hex>`,
    source: `Django django.contrib.auth.hashers.${hasher}`,
    execution: 'inline',
    upgradeAdvice: 'One salted digest: let Django-style migration re-hash with argon2id or PBKDF2 at the first successful sign-in.',
    identify: (hash) => shape.test(hash),
    verify({ password, hash }) {
      const match = shape.exec(hash);
      if (!match) throw malformed(id, `expected ${algorithm}$salt$ and ${hexLength} hex digits`);
      const [, salt = '', stored = ''] = match;
      return constantTimeEqual(digest(algorithm, salt, password).toString('hex'), stored);
    },
  };
}

/** Django's unsalted hashers: bare hex (MD5 only, as Django's identify_hasher does) or `<algorithm>$$hex`. */
export function djangoUnsaltedDigest(id: string, algorithm: 'md5' | 'sha1', hasher: string): HashScheme {
  const hexLength = algorithm === 'md5' ? 32 : 40;
  const prefixed = new RegExp(`^${algorithm}\\$\\$([0-9a-fA-F]{${hexLength}})$`, 'u');
  const bare = algorithm === 'md5' ? /^([0-9a-fA-F]{32})$/u : undefined;
  return {
    id,
    family: 'application',
    summary: `Django ${hasher}: ${algorithm === 'md5' ? '32 hex or ' : ''}${algorithm}$$hex of ${algorithm}(password)`,
    example: `${algorithm}$$<${hexLength} hex>`,
    source: `Django django.contrib.auth.hashers.${hasher}`,
    execution: 'inline',
    upgradeAdvice: 'Unsalted fast digest: re-hash with argon2id or PBKDF2 at the first successful sign-in.',
    // A bare hex digest could be anything; only the `$$` form is identifiable.
    identify: (hash) => prefixed.test(hash),
    verify({ password, hash }) {
      const match = prefixed.exec(hash) ?? bare?.exec(hash);
      if (!match) throw malformed(id, `expected ${algorithm}$$ and ${hexLength} hex digits`);
      return constantTimeEqual(digest(algorithm, password).toString('hex'), match[1] ?? '');
    },
  };
}
