import type { HashScheme } from '../../types.js';
import { rawPasswordScheme } from '../digest/raw-password.js';

export const ldapPlaintext: HashScheme = rawPasswordScheme({
  id: 'ldap_plaintext',
  family: 'ldap',
  summary: 'LDAP userPassword stored in clear (no {SCHEME} prefix)',
  source: 'OpenLDAP (cleartext userPassword); passlib ldap_plaintext',
});
