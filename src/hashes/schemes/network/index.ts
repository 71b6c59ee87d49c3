import type { HashScheme } from '../../types.js';

/** The network family, in identify order. One file per scheme in this folder. */
export const networkSchemes: readonly HashScheme[] = [];
