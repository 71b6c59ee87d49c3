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
     * for case-sensitive stores (POSIX LDAP uid with caseExactMatch, some app tables). `lower` and `upper` use
     * Unicode's full mappings, as JavaScript does ('Straße' -> 'STRASSE', 'İ' -> 'i' + U+0307); `lower-simple`
     * and `upper-simple` map one character at a time ('Straße' -> 'STRAßE', 'İ' -> 'i'), as .NET's
     * ToUpperInvariant/ToLowerInvariant and the LOWER()/UPPER() of SQL Server, MySQL/MariaDB and PostgreSQL
     * (libc) do: the fold for names an application or a database folded that way (`simpleCaseFold`).
     */
    caseFold: z.enum(['lower', 'upper', 'lower-simple', 'upper-simple', 'none']).default('lower'),
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
    else if (caseFold === 'lower-simple') value = simpleCaseFold(value, 'lower');
    else if (caseFold === 'upper-simple') value = simpleCaseFold(value, 'upper');
    return value;
  };
}

/**
 * Greek letters with ypogegrammeni: their full upper case is two letters (ᾳ -> ΑΙ), their simple one a single
 * letter with prosgegrammeni (ᾳ -> ᾼ). Every other character whose full mapping has several characters has no
 * simple mapping and stays as it is (ß, ŉ, ǰ, ΐ, the ﬁ ligatures).
 */
const simpleUpperExceptions: ReadonlyMap<number, number> = new Map([
  ...[0x1f80, 0x1f90, 0x1fa0].flatMap((start) => Array.from({ length: 8 }, (_, offset): [number, number] => [start + offset, start + offset + 8])),
  [0x1fb3, 0x1fbc],
  [0x1fc3, 0x1fcc],
  [0x1ff3, 0x1ffc],
]);

/** `i` + U+0307: what a full lower-case fold (`toLowerCase`) makes of `İ`, which no one types on purpose. */
const foldedDottedCapitalI = /i\u0307/gu;

/**
 * Case folding one character at a time with Unicode's simple mappings (UnicodeData.txt), no context: what .NET's
 * ToUpperInvariant/ToLowerInvariant, SQL Server's and MySQL/MariaDB's LOWER()/UPPER() and glibc's
 * towlower/towupper (PostgreSQL under a libc collation) do. Unlike `toLowerCase`/`toUpperCase`, 'ß' stays 'ß',
 * 'ﬁ' stays 'ﬁ', 'İ' lower-cases to 'i' and 'Σ' to 'σ' wherever it stands. `i` + U+0307 is read as `İ`, so a login
 * an earlier full fold turned into 'i̇lker' folds as 'İlker' does.
 */
export function simpleCaseFold(value: string, fold: 'lower' | 'upper'): string {
  let folded = '';
  for (const character of value.replace(foldedDottedCapitalI, '\u0130')) {
    const full = fold === 'lower' ? character.toLowerCase() : character.toUpperCase();
    // One code point (a surrogate pair included) is the simple mapping itself.
    if (String.fromCodePoint(full.codePointAt(0) as number) === full) folded += full;
    else if (fold === 'lower') folded += character === '\u0130' ? 'i' : character;
    else folded += String.fromCodePoint(simpleUpperExceptions.get(character.codePointAt(0) as number) ?? (character.codePointAt(0) as number));
  }
  return folded;
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
