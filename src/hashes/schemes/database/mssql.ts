import { constantTimeEqual, digest, fromHex, malformed, type DigestName } from '../../codec.js';
import type { HashScheme } from '../../types.js';

export interface MssqlLayout {
  id: string;
  version: '0100' | '0200';
  /** Digest bytes after the 4-byte salt (SQL Server 2000 stores two SHA-1 digests). */
  digestBytes: number;
  summary: string;
  source: string;
  /** Which stored bytes to compare with which computation. */
  check(password: string, salt: Buffer, stored: Buffer): boolean;
}

/** SQL Server login hashes (pwdencrypt): `0x` + version + 4-byte salt + digest(s) over UTF-16LE(password) + salt. */
export function mssqlScheme(layout: MssqlLayout): HashScheme {
  const { id } = layout;
  const hexLength = 2 * (2 + 4 + layout.digestBytes);
  const shape = new RegExp(`^0x${layout.version}[0-9A-Fa-f]{${hexLength - 4}}$`, 'u');
  return {
    id,
    family: 'database',
    summary: layout.summary,
    example: `0x${layout.version}<8 hex salt><${2 * layout.digestBytes} hex>`,
    source: layout.source,
    execution: 'inline',
    upgradeAdvice: 'A single salted digest: re-hash with argon2id or bcrypt at the first successful sign-in.',
    identify: (hash) => shape.test(hash),
    verify({ password, hash }) {
      const raw = shape.test(hash) ? fromHex(hash.slice(2)) : undefined;
      if (!raw) throw malformed(id, `expected 0x${layout.version} and ${hexLength - 4} hex digits`);
      return layout.check(password, raw.subarray(2, 6), raw.subarray(6));
    },
  };
}

/** SQL Server hashes the UTF-16LE text of the password followed by the salt. */
export function mssqlDigest(algorithm: DigestName, password: string, salt: Buffer): Buffer {
  return digest(algorithm, Buffer.from(password, 'utf16le'), salt);
}

export function compareDigest(computed: Buffer, stored: Buffer): boolean {
  return constantTimeEqual(computed, stored);
}
