import type { HashScheme } from '../../types.js';

/** The argon2 family, in identify order. One file per scheme in this folder. */
export const argon2Schemes: readonly HashScheme[] = [];
