import { contextString, digest } from '../../codec.js';
import { contextHexScheme } from './hex-digest.js';

const id = 'smf_sha1';

// PHP's strtolower (8.2+, and the C locale before) folds ASCII only; multibyte names keep their bytes.
const lowerAscii = (text: string): string => text.replace(/[A-Z]/gu, (char) => char.toLowerCase());

/** Simple Machines Forum 1.1-2.0: sha1(strtolower(member_name) . password). */
export const smfSha1 = contextHexScheme({
  id,
  summary: 'Simple Machines Forum 1.1/2.0: sha1(lower(member name) + password)',
  example: '40 hex digits; context { user }',
  source: 'SMF (hashcat mode 121)',
  bytes: 20,
  contextKeys: [{ key: 'user', required: true, description: 'members.member_name as stored (it is lower-cased here)' }],
  compute: (password, context) => digest('sha1', lowerAscii(contextString(context, 'user', id)), password),
});
