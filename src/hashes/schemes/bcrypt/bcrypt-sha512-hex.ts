import { prehashedBcrypt } from './prehashed-bcrypt.js';

export const bcryptSha512Hex = prehashedBcrypt('bcrypt_sha512_hex', 'sha512', 'SHA-512', 28400);
