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

/**
 * Options MongoDB would refuse, or would read as something else than meant, are refused when the store is built:
 * nothing reaches a server (the URI points at a closed port).
 */
describe('mongo store: options refused at build', () => {
  const uri = 'mongodb://127.0.0.1:1/app?directConnection=true';

  it('a URI that names no database, without `database`, is refused at `database` (the driver would read "test")', async () => {
    const error = await refusal({ uri: 'mongodb://127.0.0.1:1/?directConnection=true', mapping });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(error.path).toBe('database');
    expect(error.message).toContain('names no database');
    for (const bare of ['mongodb://127.0.0.1:1', 'mongodb://127.0.0.1:1/']) expect((await refusal({ uri: bare, mapping })).path).toBe('database');
    // A database in the URI or in the options is enough.
    for (const options of [{ uri }, { uri: 'mongodb://127.0.0.1:1/?directConnection=true', database: 'app' }]) {
      const store = await mongoUserStore({ ...options, mapping });
      await store.close();
    }
  });

  it.each([
    ['email', { ...mapping, email: '$where' }, 'mapping.email'],
    ['email inside a document', { ...mapping, email: 'contact.$x' }, 'mapping.email'],
    ['displayName', { ...mapping, displayName: '$comment' }, 'mapping.displayName'],
    ['givenName', { ...mapping, givenName: 'a..b' }, 'mapping.givenName'],
    ['surname', { ...mapping, surname: '$expr' }, 'mapping.surname'],
    ['schemeField', { ...mapping, schemeField: '$type' }, 'mapping.schemeField'],
    ['an attribute', { ...mapping, attributes: { city: '$city' } }, 'mapping.attributes.city'],
    ['a context field', { ...mapping, context: { salt: '$salt' } }, 'mapping.context.salt'],
    ['a state rule field', { ...mapping, states: [{ field: '$blocked', when: 'true', status: 'disabled' }] }, 'mapping.states[0].field'],
  ] as const)('a mapped %s path starting with `$` is refused', async (_what, badMapping, path) => {
    const error = await refusal({ uri, mapping: badMapping as MongoStoreOptions['mapping'] });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(error.path).toBe(path);
    expect(error.message).toContain('without $ operators');
  });

  it('a profile field that holds the hash field is refused, so the hash never reaches a profile', async () => {
    const nested = { username: 'login', hash: 'auth.hash', scheme: 'bcrypt' } as const;
    for (const [badMapping, path] of [
      [{ ...nested, attributes: { auth: 'auth' } }, 'mapping.attributes.auth'],
      [{ ...nested, displayName: 'auth' }, 'mapping.displayName'],
      [{ ...nested, hash: 'services.password.bcrypt', attributes: { services: 'services' } }, 'mapping.attributes.services'],
    ] as const) {
      const error = await refusal({ uri, mapping: badMapping });
      expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
      expect(error.path).toBe(path);
      expect(error.message).toContain('holds the hash field');
    }
    // A field beside the hash, or a context field over it, is fine.
    const store = await mongoUserStore({ uri, mapping: { ...nested, attributes: { rounds: 'auth.rounds' }, context: { all: 'auth' } } });
    await store.close();
  });

  it('write-back fields where one holds another are refused (MongoDB refuses such a $set)', async () => {
    for (const [writeBack, path] of [
      [{ migratedAtField: 'migration', objectIdField: 'migration.objectId' }, 'writeBack.objectIdField'],
      [{ objectIdField: 'migration.objectId', migratedFlagField: 'migration' }, 'writeBack.objectIdField'],
      [{ migratedAtField: 'migrated', migratedFlagField: 'migrated' }, 'writeBack.migratedFlagField'],
    ] as const) {
      const error = await refusal({ uri, mapping, writeBack });
      expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
      expect(error.path).toBe(path);
    }
    const store = await mongoUserStore({ uri, mapping, writeBack: { migratedAtField: 'migration.at', objectIdField: 'migration.objectId', migratedFlagField: 'migrationDone' } });
    await store.close();
  });

  it.each(['en-US', 'en_us', 'root', 'simple', 'EN', 'zh_HANT', 'en_', 'en__POSIX', ''])('collation locale %j (which mongod refuses) is refused', async (locale) => {
    const error = await refusal({ uri, mapping, collation: { locale, strength: 2 } });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(error.path).toBe('collation.locale');
  });

  it.each(['en', 'en_US', 'de_AT', 'zh_Hant', 'en_US_POSIX', 'fil', 'de@collation=phonebook'])('collation locale %j is accepted', async (locale) => {
    const store = await mongoUserStore({ uri, mapping, collation: { locale, strength: 2 } });
    await store.close();
  });
});
