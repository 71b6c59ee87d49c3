import type { HashScheme } from '../../types.js';
import { lmhash } from './lmhash.js';
import { msdcc } from './msdcc.js';
import { msdcc2 } from './msdcc2.js';
import { nthash } from './nthash.js';

/** The windows family, in identify order. Only msdcc2's `$DCC2$` form is identifiable; the rest are bare hex. */
export const windowsSchemes: readonly HashScheme[] = [msdcc2, nthash, lmhash, msdcc];
