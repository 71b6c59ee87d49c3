import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const dovecotSha512Crypt: HashScheme = wrappedScheme({
  id: 'dovecot_sha512_crypt',
  family: 'dovecot',
  prefix: 'SHA512-CRYPT',
  inner: 'sha512_crypt',
  shape: cryptShapes.sha512,
  summary: "Dovecot {SHA512-CRYPT}: SHA-512-crypt $6$, Dovecot's recommendation for years",
  example: '{SHA512-CRYPT}$6$salt$hash',
  source: 'Dovecot doveadm pw',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
