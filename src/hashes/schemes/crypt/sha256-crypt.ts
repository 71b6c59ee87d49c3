import { shaCryptScheme } from './sha-crypt-core.js';

/** Digest byte order before hash64 (Drepper's triples, low byte first), then bytes 30 and 31. */
const order = [20, 10, 0, 11, 1, 21, 2, 22, 12, 23, 13, 3, 14, 4, 24, 5, 25, 15, 26, 16, 6, 17, 7, 27, 8, 28, 18, 29, 19, 9, 30, 31];

/** `$5$`: password as UTF-8 bytes of a C string (glibc/libxcrypt). */
export const sha256Crypt = shaCryptScheme({
  id: 'sha256_crypt',
  magic: '$5$',
  algorithm: 'sha256',
  order,
  summary: 'SHA-256-crypt `$5$`: Linux shadow files, htpasswd -2, Dovecot SHA256-CRYPT',
});
