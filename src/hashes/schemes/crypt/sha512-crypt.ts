import { shaCryptScheme } from './sha-crypt-core.js';

/** Digest byte order before hash64 (Drepper's triples, low byte first), then byte 63 alone. */
const order = [
  42, 21, 0, 1, 43, 22, 23, 2, 44, 45, 24, 3, 4, 46, 25, 26, 5, 47, 48, 27, 6, 7, 49, 28, 29, 8, 50, 51, 30, 9, 10, 52,
  31, 32, 11, 53, 54, 33, 12, 13, 55, 34, 35, 14, 56, 57, 36, 15, 16, 58, 37, 38, 17, 59, 60, 39, 18, 19, 61, 40, 41,
  20, 62, 63,
];

/** `$6$`: password as UTF-8 bytes of a C string (glibc/libxcrypt). */
export const sha512Crypt = shaCryptScheme({
  id: 'sha512_crypt',
  magic: '$6$',
  algorithm: 'sha512',
  order,
  summary: 'SHA-512-crypt `$6$`: Linux shadow default before yescrypt, FreeIPA, htpasswd -5, Dovecot; very common',
});
