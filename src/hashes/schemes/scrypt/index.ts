import type { HashScheme } from '../../types.js';
import { ciscoType9 } from './cisco-type9.js';
import { djangoScrypt } from './django-scrypt.js';
import { firebaseScrypt } from './firebase-scrypt.js';
import { kratosFirescrypt } from './kratos-firescrypt.js';
import { scrypt } from './scrypt.js';

/**
 * The scrypt family, in identify order. One file per scheme in this folder. Kratos' own `$scrypt$ln=16384`
 * (N written as-is, padded base64) is not passlib's: `scrypt` only claims ln 1-31 in adapted base64.
 * Firebase's bare base64 hash needs its project parameters and is used by name.
 */
export const scryptSchemes: readonly HashScheme[] = [scrypt, djangoScrypt, ciscoType9, kratosFirescrypt, firebaseScrypt];
