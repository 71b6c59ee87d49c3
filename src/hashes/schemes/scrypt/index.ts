import type { HashScheme } from '../../types.js';

/** The scrypt family, in identify order. One file per scheme in this folder. */
export const scryptSchemes: readonly HashScheme[] = [];
