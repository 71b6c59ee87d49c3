import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotSha512: HashScheme = prefixedDigestScheme({
  id: 'dovecot_sha512',
  family: 'dovecot',
  prefix: 'SHA512',
  algorithm: 'sha512',
  salted: false,
  encodings: ['base64', 'hex'],
  summary: 'Dovecot {SHA512}: unsalted SHA-512, base64 or hex by length',
  source: 'Dovecot doveadm pw',
});
