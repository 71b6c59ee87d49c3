import type { HashScheme } from '../../types.js';
import { hexDigestScheme } from './hex-digest.js';

export const hexMd4: HashScheme = hexDigestScheme('md4', 'Bare MD4 hex digest of the password (rare; not the UTF-16 NT hash)');
