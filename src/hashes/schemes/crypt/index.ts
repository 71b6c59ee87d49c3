import type { HashScheme } from '../../types.js';

/** The crypt family, in identify order. One file per scheme in this folder. */
export const cryptSchemes: readonly HashScheme[] = [];
