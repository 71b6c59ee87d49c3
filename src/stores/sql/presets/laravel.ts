import { z } from 'zod';
import { defineSqlPreset, type SqlPresetParts } from '../preset-definition.js';

/**
 * Laravel (5.7 to 12): the `users` table of the framework's default migration (create_users_table: id,
 * name, email, email_verified_at, password, remember_token, timestamps), on any of its databases. Apps
 * older than 5.7 have no email_verified_at: set `mapping.attributes` without it.
 *
 * `password` is PHP password_hash() output through Laravel's Hash facade: bcrypt `$2y$` by default,
 * argon2i / argon2id when config/hashing.php says so; all identified by shape. Laravel signs in by email
 * (Auth::attempt(['email' => ..., 'password' => ...])), so the email column is the username. The default
 * schema has no account-state column.
 */

const optionsSchema = z.object({}).strict();

export const laravelPreset = defineSqlPreset({
  name: 'laravel',
  options: optionsSchema,
  build(): SqlPresetParts {
    return {
      name: 'laravel',
      table: 'users',
      mapping: {
        subjectId: 'id',
        username: 'email',
        email: 'email',
        hash: 'password',
        scheme: 'auto',
        displayName: 'name',
        attributes: { emailVerifiedAt: 'email_verified_at', createdAt: 'created_at' },
      },
      // Laravel stores the address as registered; LOWER() finds it whatever its case.
      usernameMatch: 'lower',
      matchEmail: false,
      normalization: { caseFold: 'lower' },
    };
  },
});
