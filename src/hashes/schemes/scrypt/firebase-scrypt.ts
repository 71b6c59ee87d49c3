import { LegacyIdpError } from '../../../core/errors.js';
import { contextString, fromBase64, malformed } from '../../codec.js';
import type { HashContext, HashScheme } from '../../types.js';
import { parseDecimal } from '../pbkdf2/pbkdf2.js';
import { firebaseScryptMatches } from './firebase.js';

const id = 'firebase_scrypt';

function base64Context(context: HashContext, key: string): Buffer {
  const value = fromBase64(contextString(context, key, id));
  if (!value) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "${key}" must be base64`);
  return value;
}

function integerContext(context: HashContext, key: string, max: number): number {
  const value = parseDecimal(contextString(context, key, id));
  if (value === undefined || value < 1 || value > max) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "${key}" must be an integer from 1 to ${max}`);
  return value;
}

/**
 * A Firebase Auth export row: `passwordHash` and `salt` per user, the other four values from the project's
 * "password hash parameters" (base64_signer_key, base64_salt_separator, rounds, mem_cost).
 */
export const firebaseScrypt: HashScheme = {
  id,
  family: 'scrypt',
  summary: "Firebase Auth's modified scrypt (users:export passwordHash): scrypt, then AES-256-CTR of the project signer key",
  example: 'base64 passwordHash; context { salt, signerKey, saltSeparator, rounds, memCost }',
  contextKeys: [
    { key: 'salt', required: true, description: "the user's salt from the export (base64)" },
    { key: 'signerKey', required: true, description: 'project base64_signer_key' },
    { key: 'saltSeparator', required: true, description: 'project base64_salt_separator (usually Bw==)' },
    { key: 'rounds', required: true, description: 'project rounds (scrypt r, usually 8)' },
    { key: 'memCost', required: true, description: 'project mem_cost (log2 N, usually 14)' },
  ],
  source: 'firebase/scrypt (README vectors); Firebase Auth hash parameters',
  execution: 'threadpool',
  upgradeAdvice: 'Only Firebase (and importers that implement its scrypt) can read it: re-hash with argon2id or scrypt at sign-in.',
  async verify({ password, hash, context, limits }) {
    const stored = fromBase64(hash);
    if (!stored || stored.length === 0) throw malformed(id, 'expected the base64 passwordHash');
    const parameters = {
      salt: base64Context(context, 'salt'),
      saltSeparator: base64Context(context, 'saltSeparator'),
      signerKey: base64Context(context, 'signerKey'),
      rounds: integerContext(context, 'rounds', 64),
      memCost: integerContext(context, 'memCost', 31),
      parallelism: 1,
    };
    return firebaseScryptMatches(password, parameters, stored, limits, id);
  },
};
