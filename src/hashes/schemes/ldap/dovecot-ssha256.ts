import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotSsha256: HashScheme = prefixedDigestScheme({
  id: 'dovecot_ssha256',
  family: 'dovecot',
  prefix: 'SSHA256',
  algorithm: 'sha256',
  salted: true,
  encodings: ['base64'],
  summary: 'Dovecot {SSHA256}: salted SHA-256, any salt length (hash-formats.md finding 6)',
  source: 'Dovecot doveadm pw',
});
