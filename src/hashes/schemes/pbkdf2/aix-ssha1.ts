import type { HashScheme } from '../../types.js';
import { aixSsha } from './aix.js';

export const aixSsha1: HashScheme = aixSsha('aix_ssha1', 'sha1');
