import type { HashScheme } from '../../types.js';

/** The application family, in identify order. One file per scheme in this folder. */
export const applicationSchemes: readonly HashScheme[] = [];
