import { z } from 'zod';
import { defineSqlPreset, type SqlPresetParts } from '../preset-definition.js';

/**
 * Drupal 7 on MySQL/MariaDB: the `users` table of modules/user/user.install (uid, name, pass, mail, created,
 * login, status, ...). uid 0 is the anonymous user (empty name and pass) and is left out.
 *
 * `pass` holds `$S$` (Drupal's SHA-512 loop, `drupal7`), `U$S$` / `U$P$` (Drupal 6 MD5 rows re-hashed by the
 * 6 -> 7 upgrade, also `drupal7`) and `$P$` / `$H$` (phpass, accounts imported from phpBB or WordPress),
 * all identified by shape. status 0 (blocked) -> disabled. Drupal 8 to 10 keep the same hashes in
 * users_field_data (see docs/stores/sql-presets.md).
 */

const optionsSchema = z
  .object({
    /** The `prefix` of settings.php's $databases entry (usually empty). */
    tablePrefix: z
      .string()
      .max(64)
      .regex(/^(?:[A-Za-z_][A-Za-z0-9_]*)?$/u, 'must be letters, digits and _ (not starting with a digit)')
      .default(''),
  })
  .strict();

export const drupal7Preset = defineSqlPreset({
  name: 'drupal7',
  options: optionsSchema,
  build(options): SqlPresetParts {
    return {
      name: 'drupal7',
      // A query, because `where` holds equalities only and uid 0 must be left out. The prefix is checked above.
      query: `SELECT uid, name, mail, pass, status, created, login FROM ${options.tablePrefix}users WHERE uid > 0`,
      mapping: {
        subjectId: 'uid',
        username: 'name',
        email: 'mail',
        hash: 'pass',
        scheme: 'auto',
        attributes: { createdAt: 'created', lastLoginAt: 'login' },
        states: [{ field: 'status', when: 'false', status: 'disabled', detail: 'users.status is 0 (blocked)' }],
      },
      usernameMatch: 'lower',
      matchEmail: true,
      normalization: { caseFold: 'lower' },
    };
  },
});
