import type { HashScheme } from '../../types.js';
import { hexMd4 } from './hex-md4.js';
import { hexMd5 } from './hex-md5.js';
import { hexSha1 } from './hex-sha1.js';
import { hexSha256 } from './hex-sha256.js';
import { hexSha512 } from './hex-sha512.js';
import { plaintext } from './plaintext.js';
import { saltedDigest } from './salted-digest.js';

/** The digest family: none of these has identify (bare digests are used only by name). */
export const digestSchemes: readonly HashScheme[] = [hexMd4, hexMd5, hexSha1, hexSha256, hexSha512, saltedDigest, plaintext];
