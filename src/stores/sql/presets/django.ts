import { z } from 'zod';
import type { Row } from '../../record/mapping.js';
import { defineSqlPreset, type SqlPresetParts } from '../preset-definition.js';

/**
 * Django's default user model (django.contrib.auth, Django 1.x to 5.x): the `auth_user` table of
 * contrib/auth/migrations (id, password, last_login, is_superuser, username, first_name, last_name, email,
 * is_staff, is_active, date_joined). A custom AUTH_USER_MODEL that extends AbstractUser has the same
 * columns in its own table: pass `table`.
 *
 * `password` is `<algorithm>$...` (pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256, bcrypt, scrypt, sha1,
 * md5, crypt), identified by shape. As Django's identify_hasher does, a bare 32-character value is the
 * unsalted MD5 hasher: it is read as `md5$$<hex>`, its prefixed form. An unusable password (`!` +
 * random, set_unusable_password) is no password at all: check_password() is false for it, so such a user
 * never verifies and is listed without a credential. is_active false -> disabled (ModelBackend refuses
 * inactive users).
 */

const optionsSchema = z.object({}).strict();

const unsaltedMd5 = /^[0-9a-fA-F]{32}$/u;

function transformRow(row: Row): Row {
  const stored = row['password'];
  if (typeof stored !== 'string') return row;
  if (stored.startsWith('!')) return { ...row, password: null };
  if (unsaltedMd5.test(stored)) return { ...row, password: `md5$$${stored}` };
  return row;
}

export const djangoPreset = defineSqlPreset({
  name: 'django',
  options: optionsSchema,
  build(): SqlPresetParts {
    return {
      name: 'django',
      table: 'auth_user',
      mapping: {
        subjectId: 'id',
        username: 'username',
        email: 'email',
        hash: 'password',
        scheme: 'auto',
        givenName: 'first_name',
        surname: 'last_name',
        attributes: { isStaff: 'is_staff', isSuperuser: 'is_superuser', dateJoined: 'date_joined', lastLogin: 'last_login' },
        states: [{ field: 'is_active', when: 'false', status: 'disabled', detail: 'auth_user.is_active is false' }],
      },
      // Django compares usernames exactly (case-sensitive on PostgreSQL); the store folds case like the new
      // directory will, and a login that matches two users differing only in case finds nobody.
      usernameMatch: 'lower',
      matchEmail: true,
      normalization: { caseFold: 'lower' },
      transformRow,
    };
  },
});
