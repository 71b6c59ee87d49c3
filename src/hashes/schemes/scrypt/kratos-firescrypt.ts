import { fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { firebaseScryptMatches } from './firebase.js';

const id = 'kratos_firescrypt';
// Padded standard base64 everywhere (Go's StdEncoding.Strict()); ln is Firebase's mem_cost, r its rounds.
const b64 = '[A-Za-z0-9+/]+={0,2}';
const shape = new RegExp(`^\\$firescrypt\\$ln=([1-9][0-9]?),r=([1-9][0-9]?),p=([1-9][0-9]?)\\$(${b64})\\$(${b64})\\$(${b64})\\$(${b64})$`, 'u');

/**
 * Ory Kratos' import form of a Firebase scrypt hash: `$firescrypt$ln=<mem_cost>,r=<rounds>,p=<p>$salt$hash
 * $saltSeparator$signerKey` (that order: separator before signer key, as Kratos' decoder reads it).
 */
export const kratosFirescrypt: HashScheme = {
  id,
  family: 'scrypt',
  summary: 'Ory Kratos `$firescrypt$`: a Firebase scrypt hash with its project parameters folded into one string',
  example: '$firescrypt$ln=14,r=8,p=1$salt$hash$saltSeparator$signerKey',
  source: 'ory/kratos hash/hash_comparator.go (CompareFirebaseScrypt)',
  execution: 'threadpool',
  upgradeAdvice: 'Re-hash with argon2id or scrypt at first sign-in.',
  identify(hash) {
    const match = shape.exec(hash);
    return match !== null && match.slice(4).every((part) => fromBase64(part) !== undefined && part.length % 4 === 0);
  },
  async verify({ password, hash, limits }) {
    const match = shape.exec(hash);
    const [salt, stored, saltSeparator, signerKey] = (match?.slice(4) ?? []).map((part) => (part.length % 4 === 0 ? fromBase64(part) : undefined));
    if (!match || !salt || !stored || !saltSeparator || !signerKey || Number(match[1]) > 31) {
      throw malformed(id, 'expected $firescrypt$ln=,r=,p=$salt$hash$saltSeparator$signerKey in padded base64');
    }
    const parameters = { salt, saltSeparator, signerKey, memCost: Number(match[1]), rounds: Number(match[2]), parallelism: Number(match[3]) };
    return firebaseScryptMatches(password, parameters, stored, limits, id);
  },
};
