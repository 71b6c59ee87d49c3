import type { HashScheme } from '../../types.js';
import { hexDigestScheme } from './hex-digest.js';

export const hexSha512: HashScheme = hexDigestScheme('sha512', 'Bare SHA-512 hex digest');
