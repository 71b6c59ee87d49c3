import { malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { stripPrefix } from './prefix.js';

export interface WrappedSchemeOptions {
  id: string;
  family: 'ldap' | 'dovecot';
  /** Scheme name between the braces: CRYPT, BLF-CRYPT, ARGON2... */
  prefix: string;
  /**
   * Inner scheme id, or (Dovecot's libc {CRYPT}) the schemes the inner string may belong to: the first whose
   * identify claims it verifies it, by id. Never "whatever the registry identifies": that would hand a
   * `{CRYPT}` value to schemes no crypt(3) runs (Kratos' `$md5$pf=` import form verifies any password when
   * its template lacks `{PASSWORD}`).
   */
  inner: string | readonly HashScheme[];
  /** Inner strings this scheme verifies. */
  shape: RegExp;
  /** Narrower shape for identify, when a verifiable shape also belongs to a more common sibling. */
  identifyShape?: RegExp;
  /**
   * Identify only the exact upper-case prefix. Verify still ignores case; this keeps Spring's `{argon2}`
   * (spring_delegating) from being announced as OpenLDAP's `{ARGON2}`.
   */
  identifyExactCase?: boolean;
  /** Well-formed inner strings the owning implementation refuses: they verify as false. */
  refuse?: RegExp;
  summary: string;
  example: string;
  source: string;
  upgradeAdvice: string;
}

function candidateFor(candidates: readonly HashScheme[], body: string): HashScheme | undefined {
  return candidates.find((scheme) => {
    try {
      return scheme.identify?.(body) === true;
    } catch {
      return false;
    }
  });
}

/**
 * `{PREFIX}` + a hash another scheme owns. The wrapper does no hashing: the registry runs the inner
 * scheme where it belongs (worker pool, threadpool), so the wrapper itself is inline.
 */
export function wrappedScheme(options: WrappedSchemeOptions): HashScheme {
  const { id, prefix, inner, shape } = options;
  const identifyShape = options.identifyShape ?? shape;
  return {
    id,
    family: options.family,
    summary: options.summary,
    example: options.example,
    source: options.source,
    execution: 'inline',
    upgradeAdvice: options.upgradeAdvice,
    identify(hash) {
      if (options.identifyExactCase === true && !hash.startsWith(`{${prefix}}`)) return false;
      const body = stripPrefix(hash, prefix);
      return body !== undefined && identifyShape.test(body) && (typeof inner === 'string' || candidateFor(inner, body) !== undefined);
    },
    async verify(args) {
      const { password, hash } = args;
      const body = stripPrefix(hash, prefix);
      if (body !== undefined && options.refuse?.test(body) === true) return false;
      if (body === undefined || !shape.test(body)) throw malformed(id, `expected {${prefix}} followed by ${typeof inner === 'string' ? inner : 'a crypt(3)'} hash`);
      if (typeof inner === 'string') return args.verifyInner(password, body, inner);
      const candidate = candidateFor(inner, body);
      if (candidate === undefined) throw malformed(id, 'no crypt(3) scheme recognizes the inner hash');
      try {
        return await args.verifyInner(password, body, candidate.id);
      } catch (error) {
        // A registry built without that scheme cannot check it: the stored value is unusable here, not unknown.
        if ((error as { code?: unknown }).code === 'ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME') throw malformed(id, `no ${candidate.id} scheme registered for the inner hash`);
        throw error;
      }
    },
  };
}
