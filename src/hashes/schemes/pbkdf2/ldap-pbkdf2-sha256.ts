import type { HashScheme } from '../../types.js';
import { ldapPbkdf2 } from './modular.js';

export const ldapPbkdf2Sha256: HashScheme = ldapPbkdf2('ldap_pbkdf2_sha256', 'sha256');
