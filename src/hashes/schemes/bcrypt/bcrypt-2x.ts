import { decodeBase64, encodeBase64, hashSync } from 'bcryptjs';
import { LegacyIdpError } from '../../../core/errors.js';
import { constantTimeEqual } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { isBcryptShape, parseBcrypt } from './bcrypt-core.js';
import { bcryptKeyWords, eksBlowfish } from './blowfish.js';

const id = 'bcrypt_2x';

/**
 * The password's bytes. PHP hashes whatever bytes the login form sent; sites old enough to hold `$2x$`
 * hashes (made before PHP 5.3.7 fixed the bug in 2011) often served latin-1 pages, hence the option.
 */
function passwordBytes(password: string, encoding: unknown): Buffer | undefined {
  if (encoding === undefined || encoding === 'utf8') return Buffer.from(password, 'utf8');
  if (encoding === 'latin1') {
    // A character outside latin-1 cannot have been typed on such a page: no match possible.
    return /[\u0100-\u{10ffff}]/u.test(password) ? undefined : Buffer.from(password, 'latin1');
  }
  throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${id}: context passwordEncoding must be "utf8" or "latin1"`);
}

/**
 * PHP crypt_blowfish's `$2x$`: hashes made by the pre-2011 code, which sign-extended password bytes
 * >= 0x80 into the key. For ASCII passwords it equals `$2a$` (bcryptjs); otherwise our own EksBlowfish
 * runs with the buggy key expansion. crypt_blowfish applies no `$2a$`-style countermeasure in this mode.
 */
export const bcrypt2x: HashScheme = {
  id,
  family: 'bcrypt',
  summary: 'bcrypt $2x$: PHP crypt_blowfish compatibility mode for hashes made with the pre-2011 8-bit sign-extension bug',
  example: '$2x$10$<22 salt chars><31 hash chars>',
  contextKeys: [
    { key: 'passwordEncoding', required: false, description: '"utf8" (default) or "latin1": the bytes the PHP site received from its login form' },
  ],
  source: 'Openwall crypt_blowfish (PHP crypt(), libxcrypt) $2x$ mode',
  execution: 'worker',
  upgradeAdvice: 'Buggy legacy bcrypt (non-ASCII passwords collide): re-hash with bcrypt $2b$ or argon2id at first sign-in.',
  identify: (hash) => isBcryptShape(hash, ['x']),
  verify({ password, hash, context, limits }) {
    const { cost, salt } = parseBcrypt(hash, id, ['x'], limits);
    const bytes = passwordBytes(password, context.passwordEncoding);
    // C strings end at NUL: such a password cannot have been hashed (see bcrypt-core).
    if (!bytes || bytes.includes(0)) return false;
    if (bytes.every((byte) => byte < 0x80)) {
      return constantTimeEqual(`$2x$${hashSync(password, `$2a$${hash.slice(4, 29)}`).slice(4)}`, hash);
    }
    const saltBytes = Buffer.from(decodeBase64(salt, 16));
    const raw = eksBlowfish(bcryptKeyWords(bytes, true), saltBytes, cost);
    // Re-encoding the salt too: unused bits set in its last character make the string differ (finding 3).
    return constantTimeEqual(`${hash.slice(0, 7)}${encodeBase64(saltBytes, 16)}${encodeBase64(raw, 23)}`, hash);
  },
};
