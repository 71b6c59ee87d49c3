import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isLegacyIdpError, type LegacyIdpError } from '../../../src/core/errors.js';
import { mongoUserStore, type MongoStoreOptions } from '../../../src/stores/mongo/mongo-store.js';

/**
 * A URI the mongodb driver refuses (it parses it in MongoClient's constructor) is a config error of ours, like
 * every other store's (docs/errors.md), not a raw MongoParseError / MongoRuntimeError; and it never quotes the
 * URI's password. No server is needed: nothing is sent.
 */

const canary = 'S3cret-Pw-canary';
const mapping = { username: 'login', hash: 'passwordHash', scheme: 'bcrypt' } as const;

async function refusal(options: MongoStoreOptions): Promise<LegacyIdpError> {
  let store: Awaited<ReturnType<typeof mongoUserStore>> | undefined;
  try {
    store = await mongoUserStore(options);
  } catch (error) {
    if (isLegacyIdpError(error)) return error;
    throw error;
  }
  await store.close();
  throw new Error(`mongoUserStore built a store from ${options.uri ?? 'options'}, which the driver refuses`);
}

describe('mongo store: options the driver refuses', () => {
  it.each([
    [`notmongo://admin:${canary}@db.internal/app`, /MongoParseError: Invalid scheme/u],
    [`mongodb://admin:${canary}@db.internal:27o17/app`, /MongoRuntimeError: Unable to parse db\.internal:27o17/u],
    [`mongodb://admin:${canary}@db.internal/app?badOption=1`, /MongoParseError: option badoption is not supported/u],
  ])('%s is ERR_LEGACY_IDP_CONFIG_INVALID at `uri`, without the password', async (uri, reason) => {
    const error = await refusal({ uri, mapping });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(error.path).toBe('uri');
    expect(error.message).toMatch(/^mongo store options: the mongodb driver refused `uri` \(/u);
    expect(error.message).toMatch(reason);
    expect([JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })].join('\n')).not.toContain(canary);
  });

  it('an invalid database name is ERR_LEGACY_IDP_CONFIG_INVALID at `database`', async () => {
    const error = await refusal({ uri: `mongodb://admin:${canary}@127.0.0.1:1/app`, database: 'legacy.users', mapping });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(error.path).toBe('database');
    expect(error.message).toContain("Database names cannot contain the character '.'");
  });
});
