/**
 * SASLprep (RFC 4013) as far as verification needs it: non-ASCII spaces become U+0020, "commonly mapped
 * to nothing" characters are dropped, then NFKC. Returns undefined when the result holds a prohibited
 * character (RFC 4013 section 2.3). Not checked: unassigned code points and the bidi rule, which need
 * Unicode 3.2 tables; a password failing those could not have been hashed by passlib, and PostgreSQL
 * falls back to the raw password for it, which is what a caller gets from undefined.
 */
type Range = readonly [number, number];

const inRanges = (ranges: readonly Range[], code: number): boolean => ranges.some(([low, high]) => code >= low && code <= high);

// RFC 3454 C.1.2 non-ASCII space characters.
const nonAsciiSpaces: readonly Range[] = [[0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200b], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000]];
// RFC 3454 B.1 commonly mapped to nothing.
const mappedToNothing: readonly Range[] = [[0xad, 0xad], [0x34f, 0x34f], [0x1806, 0x1806], [0x180b, 0x180d], [0x200b, 0x200d], [0x2060, 0x2060], [0xfe00, 0xfe0f], [0xfeff, 0xfeff]];
// RFC 3454 C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9.
const prohibited: readonly Range[] = [
  [0x0, 0x1f], [0x7f, 0x9f], [0x340, 0x341], [0x6dd, 0x6dd], [0x70f, 0x70f], [0x180e, 0x180e], [0x200c, 0x200f], [0x2028, 0x202e],
  [0x2060, 0x2063], [0x206a, 0x206f], [0x2ff0, 0x2ffb], [0xd800, 0xdfff], [0xe000, 0xf8ff], [0xfdd0, 0xfdef], [0xfeff, 0xfeff],
  [0xfff9, 0xffff], [0x1d173, 0x1d17a], [0xe0001, 0xe0001], [0xe0020, 0xe007f], [0xf0000, 0x10ffff],
];

export function saslprep(text: string): string | undefined {
  let mapped = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (inRanges(mappedToNothing, code)) continue;
    mapped += inRanges(nonAsciiSpaces, code) ? ' ' : char;
  }
  const normalized = mapped.normalize('NFKC');
  for (const char of normalized) {
    const code = char.codePointAt(0) ?? 0;
    // Every plane's last two code points are non-characters (C.4).
    if (inRanges(prohibited, code) || (code & 0xfffe) === 0xfffe) return undefined;
  }
  return normalized;
}
