import { argon2idBelowDefaults, newArgon2idHash, phcArgon2Scheme } from './argon2-core.js';

const id = 'argon2id';

/**
 * New hashes use OWASP's minimum (m=19456 KiB, t=2, p=1) rather than RFC 9106's second choice
 * (m=64 MiB, t=3, p=4): a login server verifies many hashes at once, one per core behind the compute gate,
 * and p=1 keeps each hash on one thread while 19 MiB per hash keeps memory at cores x 19 MiB. It costs about
 * 11 ms at C speed (perf-baselines.md), against roughly 4x that for the RFC setting. Callers wanting more
 * pass memoryCost/timeCost/parallelism.
 */
export const argon2id = phcArgon2Scheme(id, ['argon2id'], {
  summary: 'Argon2id PHC string: PHP PASSWORD_ARGON2ID, Laravel, Symfony, Ory Kratos, Keycloak 24+, modern apps',
  source: 'PHC reference libargon2 (argon2-cffi, PHP); backend @node-rs/argon2 or argon2',
  upgradeAdvice: 'Current best practice: keep it; re-hash only when below m=19456 KiB, t=2 or version 19.',
  needsUpgrade: argon2idBelowDefaults,
  hash: (password, options, limits) => newArgon2idHash(password, options, limits, id),
});
