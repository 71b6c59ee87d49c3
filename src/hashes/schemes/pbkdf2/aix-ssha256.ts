import type { HashScheme } from '../../types.js';
import { aixSsha } from './aix.js';

export const aixSsha256: HashScheme = aixSsha('aix_ssha256', 'sha256');
