import type { HashScheme } from '../../types.js';

/** The digest family, in identify order. One file per scheme in this folder. */
export const digestSchemes: readonly HashScheme[] = [];
