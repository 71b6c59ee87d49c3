import { LegacyIdpError } from '../../../core/errors.js';
import { contextString } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { javaDigestName, springDigestMatches } from './spring-digest.js';

const id = 'spring_message_digest';

/** `{salt}hex` shares its shape with LDAP `{SCHEME}` values and bare hex: used by name only. */
export const springMessageDigest: HashScheme = {
  id,
  family: 'application',
  summary: 'Spring Security legacy MessageDigestPasswordEncoder: {salt}hex of digest(password + "{salt}")',
  example: '{<salt>}<hex or base64 digest>; context { algorithm, encoding?, iterations? }',
  contextKeys: [
    { key: 'algorithm', required: true, description: 'the Java MessageDigest name: MD5, SHA-1, SHA-256, ...' },
    { key: 'encoding', required: false, description: 'hex (default) or base64 (setEncodeHashAsBase64(true))' },
    { key: 'iterations', required: false, description: 'setIterations (default 1)' },
  ],
  source: 'Spring Security org.springframework.security.crypto.password.MessageDigestPasswordEncoder',
  execution: 'inline',
  upgradeAdvice: 'A fast salted digest: re-hash with argon2id or bcrypt ({bcrypt} in a DelegatingPasswordEncoder) at the first successful sign-in.',
  verify({ password, hash, context, limits }) {
    const algorithm = javaDigestName(id, contextString(context, 'algorithm', id));
    const encoding = context.encoding === undefined ? 'hex' : contextString(context, 'encoding', id).toLowerCase();
    if (encoding !== 'hex' && encoding !== 'base64') throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "encoding" must be hex or base64`);
    const iterations = context.iterations === undefined ? 1 : Number(contextString(context, 'iterations', id));
    return springDigestMatches(id, password, hash, { algorithm, encoding, iterations }, limits);
  },
};
