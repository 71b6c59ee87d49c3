import type { HashScheme } from '../../types.js';

/** The windows family, in identify order. One file per scheme in this folder. */
export const windowsSchemes: readonly HashScheme[] = [];
