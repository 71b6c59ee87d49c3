import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { Decimal128, Long, MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { mongoUserStore, type MongoStoreOptions } from '../../../src/stores/mongo/mongo-store.js';
import { startMongoServer, type MongoTestServer } from '../../harness/mongo-server.js';

/**
 * Logins stored as numbers (employee and member numbers, phone numbers: `login: 123456`, as exports and ORMs write
 * them): the lookup compared the typed login as a string, which equals no number, so such users were never found.
 * The store now also asks for the number when the login is its canonical text (docs/stores/mongo.md, "Lookups of numeric logins").
 * Against the in-repo wire server (test/harness/mongo-server.ts), which compares values as mongod does.
 */

let server: MongoTestServer;
let client: MongoClient;
const registry = createHashRegistry({ workers: false });
const database = 'numeric';
const password = 'Pw-123456';
const hash = bcrypt.hashSync(password, 4);

beforeAll(async () => {
  server = await startMongoServer();
  client = new MongoClient(server.uri.replace('/?', `/${database}?`));
});

afterAll(async () => {
  await client.close();
  await server.close();
  await registry.close();
});

async function storeOver(documents: Document[], overrides: Partial<MongoStoreOptions> = {}) {
  const name = `c${randomBytes(6).toString('hex')}`;
  await client.db(database).collection(name).insertMany(documents);
  return mongoUserStore({ uri: server.uri, database, collection: name, registry, connectTimeoutMs: 1_500, queryTimeoutMs: 1_500, mapping: { username: 'login', hash: 'passwordHash', scheme: 'bcrypt' }, ...overrides });
}

describe('mongo store: logins stored as numbers', () => {
  it('finds a user whose login is an int, a double, an int64 or a Decimal128 by the number typed as text', async () => {
    const store = await storeOver([
      { _id: 1, login: 123456, passwordHash: hash },
      { _id: 2, login: 1.5, passwordHash: hash },
      { _id: 3, login: Long.fromString('9007199254740993'), passwordHash: hash },
      { _id: 4, login: Decimal128.fromString('424242'), passwordHash: hash },
      { _id: 5, login: 'alice', passwordHash: hash },
    ]);
    try {
      for (const [login, subjectId] of [['123456', '1'], ['1.5', '2'], ['9007199254740993', '3'], ['424242', '4'], ['alice', '5']] as const) {
        expect(await store.verify({ username: login, password }), login).toMatchObject({ status: 'valid', subjectId });
        expect((await store.verify({ username: login, password: 'wrong-1' })).status, login).toBe('invalid');
        expect((await store.get(login))?.username, login).toBe(login);
      }
    } finally {
      await store.close();
    }
  });

  it('asks for the number only for its canonical text, and still finds a login stored as a string', async () => {
    const store = await storeOver([
      { _id: 1, login: 123, passwordHash: hash },
      { _id: 2, login: '00123', passwordHash: hash },
      { _id: 3, login: 1000, passwordHash: hash },
    ]);
    try {
      expect(await store.verify({ username: '123', password })).toMatchObject({ status: 'valid', subjectId: '1' });
      expect(await store.verify({ username: '00123', password })).toMatchObject({ status: 'valid', subjectId: '2' });
      // Not the canonical text of the number: a string only, which nobody has.
      for (const login of ['0123', '123.0', '+123', '1e3', '1E3']) expect((await store.verify({ username: login, password })).status, login).toBe('unknown_user');
      expect(await store.verify({ username: '1000', password })).toMatchObject({ status: 'valid', subjectId: '3' });
    } finally {
      await store.close();
    }
  });

  it('finds nobody when the number and its text are two users (they read alike), and matches a numeric email field too', async () => {
    const twins = await storeOver([
      { _id: 1, login: 777, passwordHash: hash },
      { _id: 2, login: '777', passwordHash: hash },
    ]);
    try {
      expect((await twins.verify({ username: '777', password })).status).toBe('unknown_user');
      expect(await twins.get('777')).toBeNull();
    } finally {
      await twins.close();
    }
    const byEmail = await storeOver([{ _id: 1, login: 'carol', member: 5150, passwordHash: hash }], {
      matchEmail: true,
      mapping: { username: 'login', email: 'member', hash: 'passwordHash', scheme: 'bcrypt' },
    });
    try {
      expect(await byEmail.verify({ username: '5150', password })).toMatchObject({ status: 'valid', subjectId: '1' });
    } finally {
      await byEmail.close();
    }
  });
});
