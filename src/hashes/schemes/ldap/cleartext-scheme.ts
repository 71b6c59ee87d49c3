import { constantTimeEqual, malformed } from '../../codec.js';
import type { HashFamily, HashScheme } from '../../types.js';
import { stripPrefix } from './prefix.js';

export interface CleartextOptions {
  id: string;
  family: HashFamily;
  prefix: string;
  /** passlib's roundup_plaintext matches `{plaintext}` exactly; Dovecot and OpenLDAP ignore case. */
  caseSensitive: boolean;
  summary: string;
  source: string;
}

/** `{PREFIX}` + the password in clear, compared as UTF-8 in constant time. */
export function cleartextScheme(options: CleartextOptions): HashScheme {
  const { id, prefix } = options;
  const head = `{${prefix}}`;
  const body = (hash: string): string | undefined =>
    options.caseSensitive ? (hash.startsWith(head) ? hash.slice(head.length) : undefined) : stripPrefix(hash, prefix);
  return {
    id,
    family: options.family,
    summary: options.summary,
    example: `${head}password`,
    source: options.source,
    execution: 'inline',
    upgradeAdvice: 'Stored in clear: re-hash with argon2id or bcrypt at first sign-in, and treat the old store as exposed.',
    identify: (hash) => body(hash) !== undefined,
    verify({ password, hash }) {
      const stored = body(hash);
      if (stored === undefined) throw malformed(id, `expected ${head} followed by the password`);
      return constantTimeEqual(password, stored);
    },
  };
}
