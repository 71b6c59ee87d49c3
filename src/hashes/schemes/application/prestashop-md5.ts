import { contextString, digest } from '../../codec.js';
import { contextHexScheme } from './hex-digest.js';

const id = 'prestashop_md5';

/** PrestaShop 1.5-1.6: md5(_COOKIE_KEY_ . password); the key is one per shop, in settings.inc.php. */
export const prestashopMd5 = contextHexScheme({
  id,
  summary: 'PrestaShop 1.5/1.6: md5(_COOKIE_KEY_ + password)',
  example: '32 hex digits; context { cookieKey }',
  source: 'PrestaShop Tools::encrypt (hashcat mode 11000)',
  bytes: 16,
  contextKeys: [{ key: 'cookieKey', required: true, description: "the shop's _COOKIE_KEY_ (config/settings.inc.php)" }],
  compute: (password, context) => digest('md5', contextString(context, 'cookieKey', id), password),
});
