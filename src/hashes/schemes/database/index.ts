import type { HashScheme } from '../../types.js';

/** The database family, in identify order. One file per scheme in this folder. */
export const databaseSchemes: readonly HashScheme[] = [];
