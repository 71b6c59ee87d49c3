import type { HashScheme } from '../../types.js';
import { hexDigestScheme } from './hex-digest.js';

export const hexMd5: HashScheme = hexDigestScheme('md5', 'Bare MD5 hex digest: old PHP apps, WordPress < 2.5, osCommerce-era sites; very common legacy');
