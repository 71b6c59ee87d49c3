import { md5CryptScheme } from './md5-crypt-core.js';

/** `$apr1$`: md5-crypt with Apache's magic; htpasswd hashes the password bytes as given (UTF-8 here). */
export const aprMd5Crypt = md5CryptScheme({
  id: 'apr_md5_crypt',
  magic: '$apr1$',
  summary: 'Apache `$apr1$` md5-crypt: the htpasswd default (-m); common in web-server basic-auth migrations',
  source: 'Apache APR apr_md5_encode (htpasswd); passlib apr_md5_crypt',
});
