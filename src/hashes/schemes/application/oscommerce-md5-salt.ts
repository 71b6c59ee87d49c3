import { digestColonSalt } from './digest-colon-salt.js';

/** osCommerce 2.x, xt:Commerce and Zen Cart: md5(salt . password) . ':' . salt, with a 2-character salt. */
export const oscommerceMd5Salt = digestColonSalt({
  id: 'oscommerce_md5_salt',
  summary: 'osCommerce 2.x / xt:Commerce / Zen Cart: md5(salt + password):salt in one column',
  source: 'osCommerce tep_encrypt_password (hashcat mode 21)',
  saltFirst: true,
});
