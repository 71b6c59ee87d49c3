import { djangoUnsaltedDigest } from './django-digest.js';

export const djangoUnsaltedMd5 = djangoUnsaltedDigest('django_unsalted_md5', 'md5', 'UnsaltedMD5PasswordHasher');
