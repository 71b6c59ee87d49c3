import type { HashScheme } from '../../types.js';
import { ldapSaltedSha1 } from './ldap-salted-sha1.js';

/** The ldap family, in identify order. One file per scheme in this folder. */
export const ldapSchemes: readonly HashScheme[] = [ldapSaltedSha1];
