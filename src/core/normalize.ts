import { z } from 'zod';
import { parseOptions } from './validate.js';

/**
 * One normalization policy, shared by the JIT path and the bulk path, so that a user migrated in bulk and
 * the same user signing in later produce the same key.
 */
export const usernameNormalizationSchema = z
  .object({
    /** Strip leading and trailing white space (users paste names with a trailing blank). */
    trim: z.boolean().default(true),
    /**
     * Unicode normalization form. NFC is what most stores hold; NFKC also folds compatibility characters
     * (full-width letters) at the cost of merging names some stores keep apart.
     */
    unicode: z.enum(['NFC', 'NFKC', 'none']).default('NFC'),
    /**
     * Case folding. `lower` matches case-insensitive stores (AD, most SQL collations); `none` keeps case
     * for case-sensitive stores (POSIX LDAP uid with caseExactMatch, some app tables).
     */
    caseFold: z.enum(['lower', 'upper', 'none']).default('lower'),
  })
  .strict();

export type UsernameNormalizationOptions = z.input<typeof usernameNormalizationSchema>;
export type UsernameNormalizer = (username: string) => string;

export function createUsernameNormalizer(options: UsernameNormalizationOptions = {}): UsernameNormalizer {
  const { trim, unicode, caseFold } = parseOptions(usernameNormalizationSchema, options, 'username normalization');
  return (username) => {
    let value = trim ? username.trim() : username;
    if (unicode !== 'none') value = value.normalize(unicode);
    // toLowerCase/toUpperCase without a locale: a Turkish server must fold "I" the same way as any other.
    if (caseFold === 'lower') value = value.toLowerCase();
    else if (caseFold === 'upper') value = value.toUpperCase();
    return value;
  };
}

/** The default policy: trim, NFC, lower case. */
export const normalizeUsername: UsernameNormalizer = createUsernameNormalizer();

/** C0/C1 control characters, including NUL: never part of a real username, often part of an attack. */
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/u;

export function hasControlCharacters(value: string): boolean {
  return controlCharacters.test(value);
}

/** A UTF-16 surrogate not in a pair (`\p{Cs}` with the `u` flag matches only those: a pair is one code point). */
const unpairedSurrogate = /\p{Cs}/u;

/**
 * True for text that is not valid Unicode: a lone surrogate has no UTF-8 form, so stores, drivers and Redis
 * each replace it in their own way (most with U+FFFD), and `x\uD800`, `x\uDC00` and `x\uFFFD` may become one
 * name there while they stay three in memory.
 */
export function hasUnpairedSurrogates(value: string): boolean {
  return unpairedSurrogate.test(value);
}
