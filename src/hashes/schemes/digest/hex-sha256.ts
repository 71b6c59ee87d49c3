import type { HashScheme } from '../../types.js';
import { hexDigestScheme } from './hex-digest.js';

export const hexSha256: HashScheme = hexDigestScheme('sha256', 'Bare SHA-256 hex digest: legacy applications, Clerk "sha256" imports');
