import type { HashScheme } from '../../types.js';
import { cleartextScheme } from './cleartext-scheme.js';

export const roundupPlaintext: HashScheme = cleartextScheme({
  id: 'roundup_plaintext',
  family: 'ldap',
  prefix: 'plaintext',
  caseSensitive: true,
  summary: 'Roundup issue tracker {plaintext}: the password in clear',
  source: 'passlib roundup_plaintext',
});
