import { contextString, digest } from '../../codec.js';
import { contextHexScheme, hexOf } from './hex-digest.js';

const id = 'ipb_mybb_md5';

/** IPB 2-3 and MyBB: md5(md5(salt) . md5(password)). */
export const ipbMybbMd5 = contextHexScheme({
  id,
  summary: 'Invision Power Board 2/3 and MyBB: md5(md5(salt) + md5(password)), salt from its own column',
  example: '32 hex digits; context { salt }',
  source: 'IPB/MyBB (hashcat mode 2811)',
  bytes: 16,
  contextKeys: [{ key: 'salt', required: true, description: 'members_pass_salt / mybb_users.salt, raw text' }],
  compute: (password, context) => digest('md5', hexOf('md5', contextString(context, 'salt', id)), hexOf('md5', password)),
});
