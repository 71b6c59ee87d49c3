import type { HashScheme } from '../../types.js';
import { hexDigestScheme } from './hex-digest.js';

export const hexSha1: HashScheme = hexDigestScheme('sha1', 'Bare SHA-1 hex digest: many legacy applications');
