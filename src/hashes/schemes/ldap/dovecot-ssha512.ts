import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotSsha512: HashScheme = prefixedDigestScheme({
  id: 'dovecot_ssha512',
  family: 'dovecot',
  prefix: 'SSHA512',
  algorithm: 'sha512',
  salted: true,
  encodings: ['base64'],
  summary: 'Dovecot {SSHA512}: salted SHA-512',
  source: 'Dovecot doveadm pw',
});
