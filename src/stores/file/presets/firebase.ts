import { z } from 'zod';
import type { Row } from '../../record/mapping.js';
import { defineFilePreset } from '../preset-definition.js';

/**
 * Firebase Authentication's `firebase auth:export users.json --format=json`: one object
 * `{"users": [{...}, ...]}` whose users carry `localId`, `email`, `emailVerified`, `passwordHash` and `salt`
 * (standard base64), `displayName`, `photoUrl`, `phoneNumber`, `createdAt`, `lastSignedInAt`, `disabled`,
 * `customAttributes` and `providerUserInfo`. The CLI drops the hash of users whose password is not in the
 * project's scrypt (`version` other than 0), so those load without a password.
 *
 * The hash is Firebase's modified scrypt (`firebase_scrypt`): each user's `salt` comes from the file, the
 * other four values are the project's "password hash parameters" (Authentication > Users > ⋮ in the
 * console), given as this preset's options. Users sign in with their email; users without one (phone or
 * anonymous sign-in) have no username and are counted in `stats.skippedRows`.
 */

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]+={0,2}$/u, 'must be base64');

/** Files fetched from the REST API (not through the CLI) keep web-safe base64; the scheme reads the standard alphabet. */
const standardBase64 = (value: unknown): unknown => (typeof value === 'string' ? value.replace(/-/gu, '+').replace(/_/gu, '/') : value);

function firebaseFields(record: Row): Row {
  if (typeof record['passwordHash'] !== 'string') return record;
  return { ...record, passwordHash: standardBase64(record['passwordHash']), salt: standardBase64(record['salt']) };
}

export const firebasePreset = defineFilePreset({
  name: 'firebase',
  summary: 'Firebase Authentication `auth:export --format=json` ({"users": [...]}; firebase_scrypt with the project hash parameters)',
  options: z
    .object({
      /** base64_signer_key. A secret: whoever has it and the export can test passwords offline. */
      signerKey: base64.transform(standardBase64),
      /** base64_salt_separator. */
      saltSeparator: base64.transform(standardBase64).default('Bw=='),
      rounds: z.number().int().min(1).max(64).default(8),
      /** mem_cost (log2 of the scrypt N). */
      memCost: z.number().int().min(1).max(31).default(14),
    })
    .strict(),
  build: (options) => ({
    name: 'firebase',
    format: 'json',
    jsonKey: 'users',
    mapping: {
      subjectId: 'localId',
      username: 'email',
      email: 'email',
      hash: 'passwordHash',
      scheme: 'firebase_scrypt',
      context: { salt: 'salt' },
      staticContext: { signerKey: options.signerKey, saltSeparator: options.saltSeparator, rounds: options.rounds, memCost: options.memCost },
      displayName: 'displayName',
      attributes: { emailVerified: 'emailVerified', phoneNumber: 'phoneNumber', photoUrl: 'photoUrl', createdAt: 'createdAt', lastSignedInAt: 'lastSignedInAt' },
      states: [{ field: 'disabled', when: 'true', status: 'disabled', detail: 'disabled in Firebase' }],
    },
    transformRecord: firebaseFields,
  }),
});
