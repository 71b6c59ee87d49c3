import { contextString, digest } from '../../codec.js';
import { contextHexScheme, hexOf } from './hex-digest.js';

const id = 'opencart_sha1';

/** OpenCart 1.5-3.x: sha1(salt . sha1(salt . sha1(password))). */
export const opencartSha1 = contextHexScheme({
  id,
  summary: 'OpenCart 1.5-3.x: sha1(salt + sha1(salt + sha1(password))), salt from its own column',
  example: '40 hex digits; context { salt }',
  source: 'OpenCart (hashcat mode 13900)',
  bytes: 20,
  contextKeys: [{ key: 'salt', required: true, description: 'customer.salt / user.salt, raw text' }],
  compute(password, context) {
    const salt = contextString(context, 'salt', id);
    return digest('sha1', salt, hexOf('sha1', salt, hexOf('sha1', password)));
  },
});
