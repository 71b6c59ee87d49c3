import type { HashScheme } from '../../types.js';
import { cleartextScheme } from './cleartext-scheme.js';

export const dovecotPlain: HashScheme = cleartextScheme({
  id: 'dovecot_plain',
  family: 'dovecot',
  prefix: 'PLAIN',
  caseSensitive: false,
  summary: 'Dovecot {PLAIN}: the password in clear',
  source: 'Dovecot doveadm pw',
});
