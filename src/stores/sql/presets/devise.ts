import { z } from 'zod';
import type { Row } from '../../record/mapping.js';
import { defineSqlPreset, type SqlPresetParts } from '../preset-definition.js';

/**
 * Ruby on Rails with Devise (3.x to 4.9): the `users` table of Devise's generator migration
 * (devise_create_users: email, encrypted_password, reset_password_*, remember_created_at, and the optional
 * trackable / confirmable / lockable columns), on any of Rails' databases.
 *
 * encrypted_password is Devise::Encryptor's bcrypt (`$2a$`, the bcrypt gem). Devise signs in by email and,
 * with its default `case_insensitive_keys = [:email]`, stores emails down-cased and stripped, so the lookup
 * is an equality on the lower-cased login. With `lockable`, a row whose locked_at is set is locked until
 * `unlock_in` has passed (Devise's lock_expired?); `unlockInSeconds: null` for `unlock_strategy :email` /
 * `:none`, where a lock lasts until someone unlocks it.
 *
 * Devise's `config.pepper`: Devise::Encryptor hashes "#{password}#{pepper}" when a pepper is set; the preset
 * passes it to the bcrypt scheme as its `pepper` context (a secret: never logged).
 */

const optionsSchema = z
  .object({
    /** Devise's `config.pepper` (empty by default). */
    pepper: z.string().optional(),
    /** The model uses `:lockable` (the migration's failed_attempts / unlock_token / locked_at columns). */
    lockable: z.boolean().default(false),
    /** Devise's `config.unlock_in` in seconds (default 1 hour); null when locks never expire by time. */
    unlockInSeconds: z.number().int().positive().nullable().default(3600),
  })
  .strict();

/**
 * Rails writes UTC timestamps without a zone ('2024-05-01 10:00:00.123456'). PostgreSQL's 'infinity' and
 * '-infinity' (±Infinity through pg) are a lock that never expires and one long expired.
 */
function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (value === Infinity || value === -Infinity) return value;
  if (typeof value !== 'string' || value.trim().length === 0) return undefined;
  const text = value.trim();
  if (/^[-+]?infinity$/iu.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  const time = Date.parse(/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?$/u.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  return Number.isNaN(time) ? undefined : time;
}

export const devisePreset = defineSqlPreset({
  name: 'devise',
  options: optionsSchema,
  build(options): SqlPresetParts {
    const unlockInMs = options.unlockInSeconds === null ? undefined : options.unlockInSeconds * 1000;
    const transformRow = (row: Row): Row => {
      if (unlockInMs === undefined) return row;
      const lockedAt = timeOf(row['locked_at']);
      // A lock older than unlock_in has expired: Devise would let the user in (and clear it on sign-in).
      return lockedAt !== undefined && lockedAt + unlockInMs <= Date.now() ? { ...row, locked_at: null } : row;
    };
    return {
      name: 'devise',
      table: 'users',
      mapping: {
        subjectId: 'id',
        username: 'email',
        email: 'email',
        hash: 'encrypted_password',
        scheme: 'bcrypt',
        ...(options.pepper ? { staticContext: { pepper: options.pepper } } : {}),
        attributes: { createdAt: 'created_at' },
        states: options.lockable ? [{ field: 'locked_at', when: 'not-null', status: 'locked', detail: 'users.locked_at is set (Devise lockable)' }] : [],
      },
      usernameMatch: 'exact',
      matchEmail: false,
      normalization: { caseFold: 'lower' },
      ...(options.lockable ? { transformRow } : {}),
    };
  },
});
