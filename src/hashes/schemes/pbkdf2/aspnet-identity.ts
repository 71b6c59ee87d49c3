/**
 * ASP.NET Identity's PasswordHasher blob (AspNetUsers.PasswordHash), base64 of:
 * - V2 (Identity 2.x, and Core in V2 compatibility mode): 0x00, 16-byte salt, 32-byte subkey;
 *   PBKDF2-HMAC-SHA1, 1000 iterations.
 * - V3 (ASP.NET Core Identity): 0x01, then big-endian uint32 PRF (0 SHA-1, 1 SHA-256, 2 SHA-512),
 *   iteration count and salt length, the salt, and the subkey (whatever remains, at least 16 bytes).
 * The password is UTF-8 (.NET's Rfc2898DeriveBytes/KeyDerivation with a string password).
 */
import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, type PbkdfDigest } from './pbkdf2.js';

const id = 'aspnet_identity';
const prfs: readonly PbkdfDigest[] = ['sha1', 'sha256', 'sha512'];
const v2Length = 1 + 16 + 32;
const v3Header = 13;
// ASP.NET refuses salts and subkeys shorter than 128 bits.
const minimumBytes = 16;

/** A blob with a known marker whose lengths do not add up: ASP.NET answers "failed", and so do we. */
const mismatch = Symbol('length mismatch');

interface Layout {
  digest: PbkdfDigest;
  iterations: number;
  salt: Buffer;
  subkey: Buffer;
}

function decode(hash: string): Layout | typeof mismatch | string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/u.test(hash) || hash.length % 4 !== 0) return 'expected padded base64';
  const raw = fromBase64(hash);
  if (!raw || raw.length === 0) return 'expected padded base64';
  if (raw[0] === 0x00) {
    if (raw.length !== v2Length) return mismatch;
    return { digest: 'sha1', iterations: 1000, salt: raw.subarray(1, 17), subkey: raw.subarray(17) };
  }
  if (raw[0] !== 0x01) return 'unknown format marker (0x00 = V2, 0x01 = V3)';
  if (raw.length < v3Header + 2 * minimumBytes) return mismatch;
  const digest = prfs[raw.readUInt32BE(1)];
  const iterations = raw.readUInt32BE(5);
  const saltLength = raw.readUInt32BE(9);
  if (digest === undefined) return 'unknown V3 PRF';
  if (saltLength < minimumBytes || v3Header + saltLength + minimumBytes > raw.length) return mismatch;
  return {
    digest,
    iterations,
    salt: raw.subarray(v3Header, v3Header + saltLength),
    subkey: raw.subarray(v3Header + saltLength),
  };
}

export const aspnetIdentity: HashScheme = {
  id,
  family: 'pbkdf2',
  summary: 'ASP.NET Identity / ASP.NET Core Identity PasswordHasher, V2 (PBKDF2-SHA1) and V3 (PRF and iterations in the header)',
  example: 'base64(0x01 | prf | iterations | saltLength | salt | subkey)',
  source: 'dotnet/aspnetcore Microsoft.AspNetCore.Identity.PasswordHasher',
  execution: 'threadpool',
  upgradeAdvice: 'V2 (SHA-1, 1000 iterations) is weak: re-hash at first sign-in. V3 is sound at 100,000+ SHA-256/512 iterations.',
  identify(hash) {
    const layout = decode(hash);
    return typeof layout === 'object';
  },
  async verify({ password, hash, limits }) {
    const layout = decode(hash);
    if (typeof layout === 'string') throw malformed(id, layout);
    if (layout === mismatch) return false;
    checkPbkdf2Work(layout.iterations, layout.subkey.length, limits, id);
    return constantTimeEqual(await derivePbkdf2(password, layout.salt, layout.iterations, layout.subkey.length, layout.digest), layout.subkey);
  },
};
