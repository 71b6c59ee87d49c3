import { MongoClient, type MongoClientOptions } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError, type LegacyIdpError } from '../../../src/core/errors.js';
import { mongoUserStore, type MongoStoreOptions } from '../../../src/stores/mongo/mongo-store.js';

/**
 * A MongoClient the caller made, passed without `database`: the store reads the client's default database, which
 * the driver sets to "test" when the client's URI names none (Atlas hands out `mongodb+srv://host/?...`). A URI
 * without one was refused at build; a client was not, and every sign-in then looked up users in "test": all
 * unknown. Nothing here connects (the clients point at a closed port).
 */

const mapping = { username: 'login', hash: 'passwordHash', scheme: 'bcrypt' } as const;
const clients: MongoClient[] = [];
const clientFor = (uri: string, options: MongoClientOptions = {}): MongoClient => {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 300, ...options });
  clients.push(client);
  return client;
};

afterAll(async () => {
  for (const client of clients) await client.close();
});

async function refusal(options: MongoStoreOptions): Promise<LegacyIdpError> {
  try {
    const store = await mongoUserStore(options);
    await store.close();
  } catch (error) {
    if (isLegacyIdpError(error)) return error;
    throw error;
  }
  throw new Error('mongoUserStore built a store over a client that names no database');
}

describe('mongo store: a caller-made client without `database`', () => {
  it('is refused at `database` when the client names no database (the driver would read "test")', async () => {
    for (const uri of ['mongodb://127.0.0.1:1/?directConnection=true', 'mongodb://127.0.0.1:1', 'mongodb://127.0.0.1:1/']) {
      const client = clientFor(uri);
      // What the store would otherwise have used.
      expect(client.options.dbName).toBe('test');
      const error = await refusal({ client, mapping });
      expect(error, uri).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'database' });
      expect(error.message).toContain('names no database');
      // The message names neither the URI nor the host.
      expect(error.message).not.toContain('127.0.0.1');
    }
  });

  it('uses the database the client names (URI path or dbName option), or `database`', async () => {
    const named = [
      { client: clientFor('mongodb://127.0.0.1:1/app?directConnection=true') },
      // The driver's option parser takes `dbName` (its typings leave it out of MongoClientOptions).
      { client: clientFor('mongodb://127.0.0.1:1/?directConnection=true', { dbName: 'app' } as MongoClientOptions) },
      // "test" spelt in the URI is the operator's choice.
      { client: clientFor('mongodb://127.0.0.1:1/test?directConnection=true') },
      { client: clientFor('mongodb://127.0.0.1:1/?directConnection=true'), database: 'app' },
      { client: clientFor('mongodb://127.0.0.1:1/?directConnection=true'), database: 'test' },
    ];
    for (const options of named) {
      const store = await mongoUserStore({ ...options, mapping });
      await store.close();
    }
  });
});
