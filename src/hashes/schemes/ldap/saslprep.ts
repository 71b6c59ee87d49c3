/**
 * SASLprep (RFC 4013: the stringprep profile of RFC 3454, Unicode 3.2 tables) as the two producers of the SCRAM
 * hashes we verify run it. They read the RFC differently, and a verifier has to hash exactly what the producer
 * hashed, so each gets its own function. Both return undefined where the producer refuses the password.
 */
import { inRanges, lCat, randAlCat, unassignedInUnicode32, type CodePointRanges } from './stringprep-tables.js';

const ranges = (pairs: readonly (readonly [number, number])[]): CodePointRanges => Uint32Array.from(pairs.flat());

// RFC 3454 C.1.2 non-ASCII space characters (U+200B ZERO WIDTH SPACE is one too in Unicode 3.2).
const nonAsciiSpaces = ranges([[0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200b], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000]]);
// RFC 3454 B.1 commonly mapped to nothing (holds U+200B as well).
const mappedToNothing = ranges([
  [0xad, 0xad], [0x34f, 0x34f], [0x1806, 0x1806], [0x180b, 0x180d], [0x200b, 0x200d], [0x2060, 0x2060], [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
]);
// RFC 3454 C.2.1, C.2.2, C.3, C.4 (but each plane's last two code points, tested apart), C.5, C.6, C.7, C.8, C.9.
const prohibited = ranges([
  [0x0, 0x1f], [0x7f, 0x9f], [0x340, 0x341], [0x6dd, 0x6dd], [0x70f, 0x70f], [0x180e, 0x180e], [0x200c, 0x200f], [0x2028, 0x202e],
  [0x2060, 0x2063], [0x206a, 0x206f], [0x2ff0, 0x2ffb], [0xd800, 0xf8ff], [0xfdd0, 0xfdef], [0xfeff, 0xfeff], [0xfff9, 0xffff],
  [0x1d173, 0x1d17a], [0xe0001, 0xe0001], [0xe0020, 0xe007f], [0xf0000, 0x10ffff],
]);

const codePoints = (text: string): number[] => Array.from(text, (char) => char.codePointAt(0) ?? 0);
const fromCodePoints = (codes: readonly number[]): string => codes.map((code) => String.fromCodePoint(code)).join('');

/** RFC 3454 section 5 (C tables and A.1 unassigned); a lone surrogate of a JavaScript string is C.5. */
const isProhibitedOrUnassigned = (code: number): boolean =>
  inRanges(prohibited, code) || (code & 0xfffe) === 0xfffe || inRanges(unassignedInUnicode32, code);

/** RFC 3454 section 6: with any R/AL character, no L character, and R/AL first and last. */
function breaksBidiRule(codes: readonly number[]): boolean {
  if (!codes.some((code) => inRanges(randAlCat, code))) return false;
  const first = codes[0] ?? 0;
  const last = codes[codes.length - 1] ?? 0;
  return codes.some((code) => inRanges(lCat, code)) || !inRanges(randAlCat, first) || !inRanges(randAlCat, last);
}

/**
 * passlib.utils.saslprep (passlib 1.7.4), which passlib's `$scram$` handler runs: "mapped to nothing" is removed
 * before non-ASCII spaces become U+0020 (so U+200B disappears), then NFKC, and every check is on the normalized
 * text. An empty result is allowed. undefined: passlib raises ValueError (it never hashed such a password).
 */
export function passlibSaslprep(text: string): string | undefined {
  let mapped = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (inRanges(mappedToNothing, code)) continue;
    mapped += inRanges(nonAsciiSpaces, code) ? ' ' : char;
  }
  const normalized = mapped.normalize('NFKC');
  const codes = codePoints(normalized);
  if (codes.some(isProhibitedOrUnassigned) || breaksBidiRule(codes)) return undefined;
  return normalized;
}

/**
 * PostgreSQL's pg_saslprep (src/common/saslprep.c, the same steps since PostgreSQL 10), which both the server
 * (CREATE/ALTER ROLE ... PASSWORD, scram_verify_plain_password) and libpq (PQencryptPasswordConn, psql's
 * \password) run before hashing, falling back to the raw password whenever it fails. Where it differs from
 * passlib: an all-ASCII password is taken as it is (control characters included); non-ASCII spaces are mapped
 * before "mapped to nothing", so U+200B becomes a space; a password that maps to nothing at all is refused; and
 * the prohibited, unassigned and bidi checks look at the mapped text BEFORE NFKC, the result being its NFKC form.
 * undefined: PostgreSQL refused it, so the stored verifier is of the raw password.
 */
export function postgresSaslprep(text: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- the ASCII range, control characters included, is the point
  if (/^[\u0000-\u007f]*$/u.test(text)) return text;
  const mapped: number[] = [];
  for (const code of codePoints(text)) {
    if (inRanges(nonAsciiSpaces, code)) mapped.push(0x20);
    else if (!inRanges(mappedToNothing, code)) mapped.push(code);
  }
  if (mapped.length === 0 || mapped.some(isProhibitedOrUnassigned) || breaksBidiRule(mapped)) return undefined;
  return fromCodePoints(mapped).normalize('NFKC');
}
