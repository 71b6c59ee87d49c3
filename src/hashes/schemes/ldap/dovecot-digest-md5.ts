import { contextString, digest } from '../../codec.js';
import type { HashContext, HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

const id = 'dovecot_digest_md5';

/**
 * MD5(user:realm:password). Dovecot reads the login name as `user@realm`, splitting at the last `@`
 * (so `user@domain@realm` keeps `user@domain`), and an empty realm without one; an explicit `realm`
 * context value overrides the split.
 */
function userRealmPassword(password: string, context: HashContext): Buffer {
  const login = contextString(context, 'user', id);
  if (context.realm !== undefined) return digest('md5', `${login}:${contextString(context, 'realm', id)}:${password}`);
  const at = login.lastIndexOf('@');
  const [user, realm] = at < 0 ? [login, ''] : [login.slice(0, at), login.slice(at + 1)];
  return digest('md5', `${user}:${realm}:${password}`);
}

export const dovecotDigestMd5: HashScheme = prefixedDigestScheme({
  id,
  family: 'dovecot',
  prefix: 'DIGEST-MD5',
  algorithm: 'md5',
  salted: false,
  encodings: ['hex', 'base64'],
  compute: userRealmPassword,
  contextKeys: [
    { key: 'user', required: true, description: 'Login name as Dovecot saw it (user@realm; the realm is the part after the last @)' },
    { key: 'realm', required: false, description: 'Realm, when it is not part of the user name' },
  ],
  summary: 'Dovecot {DIGEST-MD5}: MD5(user:realm:password) in hex, for DIGEST-MD5 logins',
  example: '{DIGEST-MD5}hex(md5(user:realm:password))',
  source: 'Dovecot doveadm pw -u user@realm',
  upgradeAdvice: 'Unsalted MD5 over the user name: re-hash with argon2id or bcrypt at first sign-in.',
});
