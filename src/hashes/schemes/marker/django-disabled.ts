import type { HashScheme } from '../../types.js';

/** Django's UNUSABLE_PASSWORD_PREFIX `!` + get_random_string(40): letters and digits. */
const shape = /^![A-Za-z0-9]{40}$/u;

export const djangoDisabled: HashScheme = {
  id: 'django_disabled',
  family: 'marker',
  summary: "Django's unusable password (set_unusable_password): ! and 40 random letters and digits",
  example: '!' + 'x'.repeat(40),
  source: 'Django contrib.auth.hashers make_password(None); passlib django_disabled',
  execution: 'inline',
  upgradeAdvice: 'The user has no usable password (e.g. social sign-in only): migrate without a password.',
  identify: (hash) => shape.test(hash),
  verify: () => 'disabled',
  needsUpgrade: () => false,
};
