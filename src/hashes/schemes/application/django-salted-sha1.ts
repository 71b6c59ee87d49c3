import { djangoSaltedDigest } from './django-digest.js';

/** Django < 1.4's default hasher; still found in old auth_user tables. */
export const djangoSaltedSha1 = djangoSaltedDigest('django_salted_sha1', 'sha1', 'SHA1PasswordHasher');
