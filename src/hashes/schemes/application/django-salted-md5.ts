import { djangoSaltedDigest } from './django-digest.js';

export const djangoSaltedMd5 = djangoSaltedDigest('django_salted_md5', 'md5', 'MD5PasswordHasher');
