import { contextString, digest, missingContext } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import { contextHexScheme } from './hex-digest.js';

const id = 'rails_restful_auth';

/** The plugin's generated default (config/initializers/site_keys.rb). */
const defaultStretches = 10;

/**
 * Rails restful-authentication (pre-Devise): the digest starts as the site key, then `stretches` times
 * digest = sha1hex([digest, salt, password, site_key].join('--')); the last round's hex is stored.
 */
export const railsRestfulAuth = contextHexScheme({
  id,
  summary: 'Rails restful-authentication plugin: stretched sha1(digest--salt--password--site_key)',
  example: '40 hex digits; context { salt, siteKey, stretches }',
  source: 'restful-authentication Authentication::ByPassword (hashcat mode 19500)',
  bytes: 20,
  contextKeys: [
    { key: 'salt', required: true, description: 'users.salt, raw text' },
    { key: 'siteKey', required: true, description: 'REST_AUTH_SITE_KEY (may be empty)' },
    { key: 'stretches', required: false, description: `REST_AUTH_DIGEST_STRETCHES (default ${defaultStretches})` },
  ],
  compute(password, context, limits) {
    const salt = contextString(context, 'salt', id);
    const siteKey = contextString(context, 'siteKey', id);
    const stretches = context.stretches === undefined ? defaultStretches : Number(contextString(context, 'stretches', id));
    if (!Number.isInteger(stretches) || stretches < 1) throw missingContext(id, 'stretches');
    assertWithinLimit(stretches, limits.maxCryptRounds, 'stretches', id);
    let previous = siteKey;
    let value: Buffer = Buffer.alloc(0);
    for (let round = 0; round < stretches; round++) {
      value = digest('sha1', previous, '--', salt, '--', password, '--', siteKey);
      previous = value.toString('hex');
    }
    return value;
  },
});
