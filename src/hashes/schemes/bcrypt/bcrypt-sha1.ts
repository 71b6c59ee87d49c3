import { prehashedBcrypt } from './prehashed-bcrypt.js';

export const bcryptSha1 = prehashedBcrypt('bcrypt_sha1', 'sha1', 'SHA-1', 25800);
