import { digest } from '../../codec.js';

/** The NT hash: MD4 over the UTF-16LE code units of the password (JavaScript strings are UTF-16 already). */
export function ntHash(password: string): Buffer {
  return digest('md4', Buffer.from(password, 'utf16le'));
}

/** MS-Cache v1: MD4(NT hash + UTF-16LE(lower-cased user name)). */
export function msCacheV1(password: string, user: string): Buffer {
  return digest('md4', ntHash(password), Buffer.from(user.toLowerCase(), 'utf16le'));
}
