import { z } from 'zod';
import type { Row } from '../../record/mapping.js';
import { defineSqlPreset, type SqlPresetParts } from '../preset-definition.js';

/**
 * WordPress (2.5 to 6.8+) on MySQL/MariaDB: the `<prefix>users` table of wp-admin/includes/schema.php
 * (ID, user_login, user_pass, user_email, display_name, ...; multisite adds `spam` and `deleted`).
 *
 * user_pass holds what wp_check_password() accepts: phpass `$P$` (WordPress < 6.8), `$wp$2y$` bcrypt over
 * HMAC-SHA384 (6.8+), plain password_hash() output such as `$2y$` (6.8+, plugins), and, from before 2.5, a
 * bare MD5 hex digest. The first three are identified by shape (`auto`); a row of 32 hex digits is named
 * `hex_md5` per row, because the registry never guesses a bare digest. WordPress signs in by user_login or
 * user_email; it ignores user_status.
 */

const optionsSchema = z
  .object({
    /** `$table_prefix` from wp-config.php: letters, digits and `_`, as WordPress itself requires. */
    tablePrefix: z
      .string()
      .max(64)
      .regex(/^(?:[A-Za-z_][A-Za-z0-9_]*)?$/u, 'must be letters, digits and _ (not starting with a digit), like wp_')
      .default('wp_'),
    /** A multisite network: users flagged `spam` cannot sign in (wp_authenticate_spam_check). */
    multisite: z.boolean().default(false),
  })
  .strict();

/** The column the query adds (a copy of user_pass) so each row can name its scheme. */
const schemeColumn = 'user_pass_scheme';
const md5Hex = /^[0-9a-fA-F]{32}$/u;

function transformRow(row: Row): Row {
  if (!Object.hasOwn(row, schemeColumn)) return row;
  const stored = row['user_pass'];
  // Null falls back to the mapping's `auto`: $P$, $wp$ and $2y$ identify themselves.
  return { ...row, [schemeColumn]: typeof stored === 'string' && md5Hex.test(stored) ? 'hex_md5' : null };
}

export const wordpressPreset = defineSqlPreset({
  name: 'wordpress',
  options: optionsSchema,
  build(options): SqlPresetParts {
    const columns = ['ID', 'user_login', 'user_email', 'user_pass', `user_pass AS ${schemeColumn}`, 'display_name'];
    if (options.multisite) columns.push('spam');
    return {
      name: 'wordpress',
      // The prefix is checked above, so the table name is a plain identifier.
      query: `SELECT ${columns.join(', ')} FROM ${options.tablePrefix}users`,
      mapping: {
        subjectId: 'ID',
        username: 'user_login',
        email: 'user_email',
        hash: 'user_pass',
        scheme: 'auto',
        schemeField: schemeColumn,
        displayName: 'display_name',
        states: options.multisite ? [{ field: 'spam', when: 'true', status: 'disabled', detail: 'wp_users.spam is set (multisite)' }] : [],
      },
      // user_login and user_email use case-insensitive collations in WordPress' own tables; LOWER() keeps the
      // match case-insensitive under a binary collation too.
      usernameMatch: 'lower',
      matchEmail: true,
      normalization: { caseFold: 'lower' },
      transformRow,
    };
  },
});
