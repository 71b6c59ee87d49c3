import { md5CryptScheme } from './md5-crypt-core.js';

/** `$1$`: the password is the UTF-8 bytes of the C string, as glibc/libxcrypt see them. */
export const md5Crypt = md5CryptScheme({
  id: 'md5_crypt',
  magic: '$1$',
  summary: 'md5-crypt `$1$`: old Linux/FreeBSD shadow default, Cisco IOS type 5, Dovecot MD5-CRYPT; very common',
  source: 'FreeBSD/glibc/libxcrypt md5crypt (Poul-Henning Kamp); passlib md5_crypt',
});
