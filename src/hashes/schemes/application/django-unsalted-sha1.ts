import { djangoUnsaltedDigest } from './django-digest.js';

export const djangoUnsaltedSha1 = djangoUnsaltedDigest('django_unsalted_sha1', 'sha1', 'UnsaltedSHA1PasswordHasher');
