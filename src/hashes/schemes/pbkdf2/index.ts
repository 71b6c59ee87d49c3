import type { HashScheme } from '../../types.js';

/** The pbkdf2 family, in identify order. One file per scheme in this folder. */
export const pbkdf2Schemes: readonly HashScheme[] = [];
