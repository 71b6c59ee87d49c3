import { isSubjectLockoutAccount } from '../core/lockout.js';

/**
 * The form of an account name the lockout counts under. Stores match names far more loosely than the
 * Authenticator's normalization (trim, NFC, lower case): MariaDB's `utf8mb4_unicode_ci` finds `alice` for
 * `ａｌｉｃｅ`, `álice` and `al\u200Bice`, LDAP's caseIgnoreMatch folds compatibility forms and runs of spaces. Had
 * each spelling its own counter, zero-width characters alone would give unlimited guesses. So the key folds
 * compatibility forms, case (full: `ß` is `ss`), diacritics, invisible (default-ignorable) characters and runs
 * of white space. Merging names a store keeps apart only makes them share a counter, which is the safe side.
 * Subject keys (`subjectLockoutAccount`) are ids, compared exactly. A lone UTF-16 surrogate (no Unicode text, and
 * the Authenticator refuses such names) becomes U+FFFD, as it does in any store that encodes to UTF-8 (Redis): the
 * memory store then counts `x\uD800` and `x\uDC00` as one account too, as Redis does.
 */
export function lockoutAccountKey(text: string): string {
  if (printableAscii.test(text)) return text.includes('  ') ? text.toLowerCase().replace(spaceRuns, ' ') : text.toLowerCase();
  const account = text.replace(unpairedSurrogates, '\uFFFD');
  if (isSubjectLockoutAccount(account)) return account;
  return account
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKD')
    .replace(marksAndInvisibles, '')
    .replace(spaceRuns, ' ')
    .normalize('NFC');
}

// The common case, checked first: a name of printable ASCII needs only case folding (and spaces collapsed).
const printableAscii = /^[\u0020-\u007e]*$/u;
const unpairedSurrogates = /\p{Cs}/gu;
const marksAndInvisibles = /[\p{M}\p{Default_Ignorable_Code_Point}]/gu;
const spaceRuns = /\s{2,}/gu;
