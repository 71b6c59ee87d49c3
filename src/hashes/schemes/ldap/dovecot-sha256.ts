import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotSha256: HashScheme = prefixedDigestScheme({
  id: 'dovecot_sha256',
  family: 'dovecot',
  prefix: 'SHA256',
  algorithm: 'sha256',
  salted: false,
  encodings: ['base64', 'hex'],
  summary: 'Dovecot {SHA256}: unsalted SHA-256, base64 or hex by length',
  source: 'Dovecot doveadm pw',
});
