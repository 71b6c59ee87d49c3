/**
 * Exact shapes of the crypt(3) strings that `{CRYPT}`-style wrappers carry. They decide which inner scheme
 * a wrapper hands the string to, so they are strict: a near miss is malformed, never a different scheme.
 */
const c = '[./0-9A-Za-z]';

export const cryptShapes = {
  des: new RegExp(`^${c}{13}$`, 'u'),
  bsdi: new RegExp(`^_${c}{19}$`, 'u'),
  /** bigcrypt of a password up to 8 characters is des_crypt; longer ones add 11 characters per 8. */
  bigcrypt: new RegExp(`^${c}{13}(?:${c}{11})*$`, 'u'),
  md5: new RegExp(`^\\$1\\$${c}{0,8}\\$${c}{22}$`, 'u'),
  sha1: new RegExp(`^\\$sha1\\$[0-9]{1,10}\\$${c}{0,64}\\$${c}{28}$`, 'u'),
  sha256: new RegExp(`^\\$5\\$(?:rounds=[0-9]{1,10}\\$)?${c}{0,16}\\$${c}{43}$`, 'u'),
  sha512: new RegExp(`^\\$6\\$(?:rounds=[0-9]{1,10}\\$)?${c}{0,16}\\$${c}{86}$`, 'u'),
  bcrypt: new RegExp(`^\\$2[abxy]?\\$[0-9]{2}\\$${c}{53}$`, 'u'),
  /** PHC argon2 string; parameters in any order, `v=` absent on version-16 hashes. */
  argon2: /^\$argon2(?:i|d|id)\$(?:v=[0-9]+\$)?[a-z]+=[^$]*\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/u,
  /**
   * What a libc crypt() could take: a `$id$` or `$id,` modular string, BSDi `_`, or traditional DES and
   * its bigcrypt extension. Never a `{`-prefixed string, so wrappers cannot nest.
   */
  anyCrypt: new RegExp(`^(?:\\$[0-9a-z]{1,8}[$,][$./0-9A-Za-z=,+-]*|_${c}{19}|${c}{13}(?:${c}{11})*)$`, 'u'),
} as const;
