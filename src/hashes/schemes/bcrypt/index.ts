import type { HashScheme } from '../../types.js';

/** The bcrypt family, in identify order. One file per scheme in this folder. */
export const bcryptSchemes: readonly HashScheme[] = [];
