import type { HashScheme } from '../../types.js';
import { cleartextScheme } from './cleartext-scheme.js';

export const dovecotCleartext: HashScheme = cleartextScheme({
  id: 'dovecot_cleartext',
  family: 'dovecot',
  prefix: 'CLEARTEXT',
  caseSensitive: false,
  summary: 'Dovecot {CLEARTEXT}: the password in clear',
  source: 'Dovecot doveadm pw',
});
