/**
 * AIX `{ssha1}`, `{ssha256}`, `{ssha512}` (/etc/security/passwd, AIX 5.3 TL7+): PBKDF2-HMAC with 2^NN
 * iterations, the salt used as text, and the key in AIX's own base64: crypt(3) alphabet, each 3-byte group
 * read big-endian and written low 6 bits first. A short final group is padded with zero bytes before it is
 * written, so the last one or two key bytes are partly dropped; comparing re-encoded strings reproduces that.
 */
import { constantTimeEqual, hash64Alphabet, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, digestBytes } from './pbkdf2.js';

export function aixBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const present = Math.min(3, bytes.length - i);
    let value = ((bytes[i] ?? 0) << 16) | ((i + 1 < bytes.length ? (bytes[i + 1] ?? 0) : 0) << 8) | (i + 2 < bytes.length ? (bytes[i + 2] ?? 0) : 0);
    for (let k = 0; k <= present; k++) {
      out += hash64Alphabet.charAt(value & 63);
      value >>>= 6;
    }
  }
  return out;
}

export function aixSsha(id: string, digest: 'sha1' | 'sha256' | 'sha512'): HashScheme {
  const size = digestBytes[digest];
  const chars = Math.floor(size / 3) * 4 + (size % 3 === 0 ? 0 : (size % 3) + 1);
  const tag = `ssha${digest.slice(3)}`;
  // AIX salts are 16 to 48 crypt-alphabet characters (hashcat accepts that range; AIX writes 16 or 24).
  const shape = new RegExp(`^\\{${tag}\\}([0-9]{2})\\$([./0-9A-Za-z]{16,48})\\$([./0-9A-Za-z]{${chars}})$`, 'u');
  return {
    id,
    family: 'pbkdf2',
    summary: `IBM AIX {${tag}}: PBKDF2-HMAC-${digest.toUpperCase()} with 2^NN iterations, AIX base64`,
    example: `{${tag}}NN$salt$key`,
    source: 'IBM AIX pwdalgorithms (/etc/security/pwdalg.cfg); hashcat modes 6700/6400/6500',
    execution: 'threadpool',
    upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
    identify: (hash) => shape.test(hash),
    async verify({ password, hash, limits }) {
      const match = shape.exec(hash);
      if (!match) throw malformed(id, `expected {${tag}}NN$salt$${chars}-character key`);
      const iterations = 2 ** Number(match[1]);
      checkPbkdf2Work(iterations, size, limits, id);
      const key = await derivePbkdf2(password, match[2] ?? '', iterations, size, digest);
      return constantTimeEqual(aixBase64(key), match[3] ?? '');
    },
  };
}
