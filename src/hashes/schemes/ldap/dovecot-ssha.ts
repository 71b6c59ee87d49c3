import type { HashScheme } from '../../types.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

export const dovecotSsha: HashScheme = prefixedDigestScheme({
  id: 'dovecot_ssha',
  family: 'dovecot',
  prefix: 'SSHA',
  algorithm: 'sha1',
  salted: true,
  encodings: ['base64'],
  summary: 'Dovecot {SSHA}: salted SHA-1 (the same layout as LDAP {SSHA})',
  source: 'Dovecot doveadm pw',
});
