import type { HashScheme } from '../../types.js';
import { ciscoAsa } from './cisco-asa.js';
import { ciscoPix } from './cisco-pix.js';
import { ciscoType4 } from './cisco-type4.js';
import { ciscoType7 } from './cisco-type7.js';
import { htdigest } from './htdigest.js';

/** The network family. None is identifiable: every shape here also fits other formats or plain text. */
export const networkSchemes: readonly HashScheme[] = [ciscoPix, ciscoAsa, ciscoType4, ciscoType7, htdigest];
