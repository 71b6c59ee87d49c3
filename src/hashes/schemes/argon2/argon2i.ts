import { phcArgon2Scheme } from './argon2-core.js';

export const argon2i = phcArgon2Scheme('argon2i', ['argon2i'], {
  summary: 'Argon2i PHC string: PHP PASSWORD_ARGON2I, OpenLDAP/Dovecot argon2 (inner string), older libsodium apps',
  source: 'PHC reference libargon2 (argon2-cffi, PHP); backend @node-rs/argon2 or argon2',
  upgradeAdvice: 'Strong but argon2i is weaker than argon2id against tradeoff attacks at low passes: re-hash with argon2id at first sign-in.',
});
