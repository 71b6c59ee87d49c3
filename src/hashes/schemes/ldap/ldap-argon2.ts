import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { wrappedScheme } from './wrapped-scheme.js';

export const ldapArgon2: HashScheme = wrappedScheme({
  id: 'ldap_argon2',
  family: 'ldap',
  prefix: 'ARGON2',
  inner: 'argon2',
  shape: cryptShapes.argon2,
  identifyExactCase: true,
  summary: 'OpenLDAP 2.5+ {ARGON2} (pw-argon2 module): a PHC argon2 string',
  example: '{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$salt$hash',
  source: 'OpenLDAP slappasswd with the argon2 module (libargon2)',
  upgradeAdvice: "argon2 inside {ARGON2}: keep, or re-hash with argon2id at today's parameters.",
});
