import { prehashedBcrypt } from './prehashed-bcrypt.js';

export const bcryptSha256Hex = prehashedBcrypt('bcrypt_sha256_hex', 'sha256', 'SHA-256', 30600);
