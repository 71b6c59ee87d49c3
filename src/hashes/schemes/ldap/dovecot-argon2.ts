import type { HashScheme } from '../../types.js';
import { wrappedScheme } from './wrapped-scheme.js';

const params = 'v=19\\$m=[0-9]+,t=[0-9]+,p=[0-9]+\\$[A-Za-z0-9+/]+\\$[A-Za-z0-9+/]+$';

/**
 * Dovecot's {ARGON2I}/{ARGON2ID} verify through libsodium's crypto_pwhash_str_verify, which takes an
 * argon2i or argon2id string whatever the prefix says, and only version 19: v=16 (or no v=) and argon2d
 * are refused (hash-formats.md finding 4), so they verify as false here too.
 */
export function dovecotArgon2Scheme(variant: 'i' | 'id'): HashScheme {
  const prefix = variant === 'i' ? 'ARGON2I' : 'ARGON2ID';
  return wrappedScheme({
    id: `dovecot_argon2${variant}`,
    family: 'dovecot',
    prefix,
    inner: 'argon2',
    shape: new RegExp(`^\\$argon2(?:i|id)\\$${params}`, 'u'),
    identifyShape: new RegExp(`^\\$argon2${variant}\\$${params}`, 'u'),
    refuse: /^\$argon2(?:d\$|(?:i|id)\$(?!v=19\$))/u,
    summary: `Dovecot {${prefix}}: argon2${variant} PHC string (libsodium; version 19 only)`,
    example: `{${prefix}}$argon2${variant}$v=19$m=65536,t=3,p=1$salt$hash`,
    source: 'Dovecot doveadm pw (libsodium)',
    upgradeAdvice: `argon2${variant}: keep, or re-hash with argon2id at today's parameters.`,
  });
}
