import { malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const id = 'django_des_crypt';
// Django 1.4+ writes `crypt$$<des_crypt>`; Django 1.0 wrote a 5-character salt whose first 2 characters
// repeat at the start of the des_crypt part. Only the des_crypt part decides.
const shape = /^crypt\$([./0-9A-Za-z]*)\$([./0-9A-Za-z]{13})$/u;

export const djangoDesCrypt: HashScheme = {
  id,
  family: 'application',
  summary: 'Django CryptPasswordHasher (removed in 5.0): crypt$$ + traditional DES crypt(3)',
  example: 'crypt$$<13-character des_crypt>',
  source: 'Django django.contrib.auth.hashers.CryptPasswordHasher; passlib django_des_crypt',
  // A wrapper: the des_crypt scheme does the work and runs where it belongs.
  execution: 'inline',
  upgradeAdvice: 'DES crypt reads 8 characters of 7 bits: re-hash with argon2id or PBKDF2 at the first successful sign-in.',
  identify: (hash) => {
    const match = shape.exec(hash);
    return match !== null && (match[1] === '' || match[1]?.slice(0, 2) === match[2]?.slice(0, 2));
  },
  async verify(args) {
    const { password, hash } = args;
    const match = shape.exec(hash);
    if (!match) throw malformed(id, 'expected crypt$salt$ and a 13-character des_crypt hash');
    const [, salt = '', inner = ''] = match;
    if (salt !== '' && salt.slice(0, 2) !== inner.slice(0, 2)) throw malformed(id, 'the salt field and the des_crypt salt differ');
    return args.verifyInner(password, inner, 'des_crypt');
  },
};
