import { z } from 'zod';
import type { Row } from '../../record/mapping.js';
import { defineFilePreset } from '../preset-definition.js';

/**
 * Auth0's two exports of a database connection, both JSON Lines (one user per line):
 *
 * - the user export job (Management API `POST /api/v2/jobs/users-exports` with format `json`, a gzipped
 *   NDJSON file): `user_id` (`auth0|...`), `email`, `email_verified`, `username`, `name`, `given_name`,
 *   `family_name`, `blocked`, and whatever other fields the job asked for;
 * - the password-hash export Auth0 support hands over (NDJSON): `_id` (`{"$oid": "..."}` or a string),
 *   `alt_id` (when the user was created with a custom id), `email`, `email_verified`, `passwordHash`
 *   (bcrypt, `$2b$10$...`), `password_set_date`, `tenant`, `connection`, and `identifiers`
 *   (`[{type: "email", value, verified}]`, where some users keep their email instead of at the top level).
 *
 * The subject id is the Auth0 user id either way: `user_id`, else `auth0|` + `alt_id`, else `auth0|` + the
 * `_id`, as Auth0 documents for the hash export. Users sign in with their username when they have one, else
 * their email; the email finds them too. `blocked` users are disabled. The two exports concatenated into one
 * file (`cat users.ndjson hashes.ndjson`) give each user twice, under one subject id: the records are merged
 * (the hash from one, the profile and `blocked` from the other), and records that disagree refuse the file.
 */

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** `_id` as the hash export writes it: MongoDB extended JSON `{"$oid": "..."}`, or a plain string. */
function objectIdOf(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null) return text((value as Record<string, unknown>)['$oid']);
  return text(value);
}

/** The first entry of `identifiers` of this type (`email`, `username`), with its `value` and `verified`. */
function identifier(record: Row, type: string): Record<string, unknown> | undefined {
  const identifiers = record['identifiers'];
  if (!Array.isArray(identifiers)) return undefined;
  for (const entry of identifiers as unknown[]) {
    if (typeof entry === 'object' && entry !== null && (entry as Record<string, unknown>)['type'] === type) return entry as Record<string, unknown>;
  }
  return undefined;
}

function auth0Fields(record: Row): Row {
  const localId = text(record['alt_id']) ?? objectIdOf(record['_id']);
  const emailIdentifier = identifier(record, 'email');
  const email = text(record['email']) ?? text(emailIdentifier?.['value']);
  return {
    ...record,
    $user_id: text(record['user_id']) ?? (localId === undefined ? undefined : `auth0|${localId}`),
    $email: email,
    // Users whose email is only in `identifiers` have its `verified` there too.
    $email_verified: record['email_verified'] ?? emailIdentifier?.['verified'],
    $login: text(record['username']) ?? text(identifier(record, 'username')?.['value']) ?? email,
  };
}

export const auth0Preset = defineFilePreset({
  name: 'auth0',
  summary: "Auth0 user export job and password-hash export (NDJSON; bcrypt passwordHash)",
  options: z.object({}).strict(),
  build: () => ({
    name: 'auth0',
    format: 'jsonl',
    mapping: {
      subjectId: '$user_id',
      username: '$login',
      email: '$email',
      hash: 'passwordHash',
      scheme: 'bcrypt',
      displayName: 'name',
      givenName: 'given_name',
      surname: 'family_name',
      attributes: { emailVerified: '$email_verified', connection: 'connection' },
      states: [{ field: 'blocked', when: 'true', status: 'disabled', detail: 'blocked in Auth0' }],
    },
    matchEmail: true,
    transformRecord: auth0Fields,
    mergeBySubjectId: true,
  }),
});
