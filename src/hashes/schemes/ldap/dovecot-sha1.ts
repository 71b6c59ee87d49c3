import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotSha1: HashScheme = prefixedDigestScheme({
  id: 'dovecot_sha1',
  family: 'dovecot',
  prefix: 'SHA1',
  algorithm: 'sha1',
  salted: false,
  encodings: ['base64', 'hex'],
  summary: 'Dovecot {SHA1}: alias of {SHA}, unsalted SHA-1, base64 or hex by length',
  source: 'Dovecot doveadm pw',
});
