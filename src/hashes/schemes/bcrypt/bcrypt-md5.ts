import { prehashedBcrypt } from './prehashed-bcrypt.js';

export const bcryptMd5 = prehashedBcrypt('bcrypt_md5', 'md5', 'MD5', 25600);
