import type { HashScheme } from '../../types.js';

/** The marker family, in identify order. One file per scheme in this folder. */
export const markerSchemes: readonly HashScheme[] = [];
