import { contextString, digest } from '../../codec.js';
import { contextHexScheme, hexOf } from './hex-digest.js';

const id = 'vbulletin_md5';

/** vBulletin 3-5: md5(md5(password) . salt); vB3 salts are 3 characters, vB5 legacy ones 30. */
export const vbulletinMd5 = contextHexScheme({
  id,
  summary: 'vBulletin 3/4 (and vB5 legacy) md5(md5(password) + salt), salt from the user table',
  example: '32 hex digits; context { salt }',
  source: 'vBulletin (hashcat modes 2611/2711)',
  bytes: 16,
  contextKeys: [{ key: 'salt', required: true, description: 'user.salt, raw text' }],
  compute: (password, context) => digest('md5', hexOf('md5', password), contextString(context, 'salt', id)),
});
