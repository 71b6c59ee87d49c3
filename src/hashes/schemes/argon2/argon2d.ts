import { phcArgon2Scheme } from './argon2-core.js';

export const argon2d = phcArgon2Scheme('argon2d', ['argon2d'], {
  summary: 'Argon2d PHC string: rare for passwords (data-dependent memory access), seen in some Java/Spring configs',
  source: 'PHC reference libargon2 (argon2 CLI, argon2-cffi); backend @node-rs/argon2 or argon2',
  upgradeAdvice: 'Argon2d leaks through cache timing side channels: re-hash with argon2id at first sign-in.',
});
