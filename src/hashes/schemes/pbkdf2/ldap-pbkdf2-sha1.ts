import type { HashScheme } from '../../types.js';
import { ldapPbkdf2 } from './modular.js';

export const ldapPbkdf2Sha1: HashScheme = ldapPbkdf2('ldap_pbkdf2_sha1', 'sha1');
