import { digestColonSalt } from './digest-colon-salt.js';

/** Joomla 1.0.x-2.5 (before bcrypt in 3.x): md5(password . salt) . ':' . salt in jos_users.password. */
export const joomlaMd5Salt = digestColonSalt({
  id: 'joomla_md5_salt',
  summary: 'Joomla 1.0-2.5: md5(password + salt):salt in one column',
  source: 'Joomla JUserHelper::getCryptedPassword md5-hex (hashcat mode 11)',
  saltFirst: false,
});
