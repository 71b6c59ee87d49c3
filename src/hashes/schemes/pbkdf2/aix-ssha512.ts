import type { HashScheme } from '../../types.js';
import { aixSsha } from './aix.js';

export const aixSsha512: HashScheme = aixSsha('aix_ssha512', 'sha512');
