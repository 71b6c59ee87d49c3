import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotSha: HashScheme = prefixedDigestScheme({
  id: 'dovecot_sha',
  family: 'dovecot',
  prefix: 'SHA',
  algorithm: 'sha1',
  salted: false,
  encodings: ['base64', 'hex'],
  summary: 'Dovecot {SHA}: unsalted SHA-1, base64 or hex by length (the same strings as LDAP {SHA})',
  source: 'Dovecot doveadm pw',
});
