/**
 * passlib's PBKDF2 layout, `rounds$salt$checksum` in adapted base64 (`.` for `+`, no padding), behind a
 * modular-crypt prefix (`$pbkdf2-sha256$`) or an LDAP one (`{PBKDF2-SHA256}`, passlib ldap_pbkdf2_* and
 * OpenLDAP's pw-pbkdf2 module write the same body). The password is UTF-8, as in both implementations.
 */
import { randomBytes } from 'node:crypto';
import { LegacyIdpError } from '../../../core/errors.js';
import { constantTimeEqual, fromAb64, malformed, toAb64 } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkPbkdf2Work, derivePbkdf2, digestBytes, parseDecimal, type PbkdfDigest } from './pbkdf2.js';

interface ModularOptions {
  id: string;
  digest: PbkdfDigest;
  /** Accepted prefixes; the first is the one written in examples. */
  prefixes: readonly string[];
  /** LDAP scheme names are case-insensitive in OpenLDAP; MCF identifiers are not. */
  caseInsensitive: boolean;
  summary: string;
  source: string;
  upgradeAdvice: string;
}

const ab64 = '[A-Za-z0-9./]';

interface Parsed {
  rounds: number;
  salt: Buffer;
  checksum: Buffer;
}

function escape(text: string): string {
  return text.replace(/[$^{}()[\]\\.*+?|]/gu, '\\$&');
}

export function modularPbkdf2(options: ModularOptions): HashScheme {
  const { id, digest } = options;
  const size = digestBytes[digest];
  const checksumChars = Math.ceil((size * 4) / 3);
  const flags = options.caseInsensitive ? 'iu' : 'u';
  const prefix = `(?:${options.prefixes.map(escape).join('|')})`;
  const shape = new RegExp(`^${prefix}([0-9]+)\\$(${ab64}*)\\$(${ab64}{${checksumChars}})$`, flags);

  function parse(hash: string): Parsed {
    const match = shape.exec(hash);
    if (!match) throw malformed(id, `expected ${options.prefixes[0] ?? ''}rounds$salt$checksum with a ${checksumChars}-character checksum`);
    const rounds = parseDecimal(match[1]);
    const salt = fromAb64(match[2] ?? '');
    const checksum = fromAb64(match[3] ?? '');
    if (rounds === undefined) throw malformed(id, 'rounds must be a decimal without leading zeros');
    if (!salt || !checksum || checksum.length !== size) throw malformed(id, 'salt or checksum is not adapted base64');
    return { rounds, salt, checksum };
  }

  return {
    id,
    family: 'pbkdf2',
    summary: options.summary,
    example: `${options.prefixes[0] ?? ''}rounds$salt-ab64$checksum-ab64`,
    source: options.source,
    execution: 'threadpool',
    upgradeAdvice: options.upgradeAdvice,
    identify(hash) {
      const match = shape.exec(hash);
      return match !== null && parseDecimal(match[1]) !== undefined && (match[2] ?? '').length % 4 !== 1;
    },
    async verify({ password, hash, limits }) {
      const { rounds, salt, checksum } = parse(hash);
      checkPbkdf2Work(rounds, size, limits, id);
      return constantTimeEqual(await derivePbkdf2(password, salt, rounds, size, digest), checksum);
    },
  };
}

/** passlib's prefix for each digest (`$pbkdf2$` is SHA-1). */
export function passlibPbkdf2(id: string, digest: 'sha1' | 'sha256' | 'sha512', summary: string): HashScheme {
  return modularPbkdf2({
    id,
    digest,
    prefixes: [digest === 'sha1' ? '$pbkdf2$' : `$pbkdf2-${digest}$`],
    caseInsensitive: false,
    summary,
    source: `passlib ${id}`,
    upgradeAdvice: digest === 'sha256' ? 'Keep if rounds >= 600,000 (OWASP 2023); otherwise re-hash at sign-in.' : 'Re-hash with argon2id, bcrypt or pbkdf2_sha256 (600,000 rounds) at first sign-in.',
  });
}

/** passlib ldap_pbkdf2_* and OpenLDAP pw-pbkdf2 (`{PBKDF2}` and `{PBKDF2-SHA1}` are both SHA-1). */
export function ldapPbkdf2(id: string, digest: 'sha1' | 'sha256' | 'sha512'): HashScheme {
  const name = digest.toUpperCase();
  return modularPbkdf2({
    id,
    digest,
    prefixes: digest === 'sha1' ? ['{PBKDF2}', '{PBKDF2-SHA1}'] : [`{PBKDF2-${name}}`],
    caseInsensitive: true,
    summary: `LDAP {PBKDF2${digest === 'sha1' ? '' : `-${name}`}}: PBKDF2-HMAC-${name} in passlib's layout, as OpenLDAP's pw-pbkdf2 module and 389-DS 2.x store it`,
    source: 'OpenLDAP contrib pw-pbkdf2 (slappasswd); passlib ldap_pbkdf2_*',
    upgradeAdvice: 'Re-hash with argon2id, bcrypt or pbkdf2_sha256 (600,000 rounds) at first sign-in.',
  });
}

export const owaspPbkdf2Sha256Rounds = 600_000;

/** New passlib-format PBKDF2-SHA256 hashes: 600,000 rounds (OWASP 2023) and a 16-byte salt (passlib's default). */
export async function hashPbkdf2Sha256(password: string, options: Readonly<Record<string, unknown>>, maxIterations: number): Promise<string> {
  const rounds = options.rounds ?? owaspPbkdf2Sha256Rounds;
  const saltSize = options.saltSize ?? 16;
  if (typeof rounds !== 'number' || !Number.isSafeInteger(rounds) || rounds < 1000 || rounds > maxIterations) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `pbkdf2_sha256: rounds must be an integer from 1000 to ${maxIterations}`);
  }
  if (typeof saltSize !== 'number' || !Number.isSafeInteger(saltSize) || saltSize < 8 || saltSize > 1024) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'pbkdf2_sha256: saltSize must be an integer from 8 to 1024');
  }
  const salt = randomBytes(saltSize);
  const checksum = await derivePbkdf2(password, salt, rounds, 32, 'sha256');
  return `$pbkdf2-sha256$${rounds}$${toAb64(salt)}$${toAb64(checksum)}`;
}
