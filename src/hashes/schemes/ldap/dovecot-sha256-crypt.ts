import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const dovecotSha256Crypt: HashScheme = wrappedScheme({
  id: 'dovecot_sha256_crypt',
  family: 'dovecot',
  prefix: 'SHA256-CRYPT',
  inner: 'sha256_crypt',
  shape: cryptShapes.sha256,
  summary: 'Dovecot {SHA256-CRYPT}: SHA-256-crypt $5$',
  example: '{SHA256-CRYPT}$5$salt$hash',
  source: 'Dovecot doveadm pw',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});
