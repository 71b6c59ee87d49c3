import { MongoClient, type Collection } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMongoServer, type MongoTestServer } from '../../harness/mongo-server.js';

/**
 * The wire-contract stand-in (test/harness/mongo-server.ts) must refuse what mongod refuses, with mongod's codes,
 * or a store test passes against it while the store fails against a real server. Each case here is one mongod
 * refuses (collator_factory_icu.cpp and its tests for collations; Location31250, ConflictingUpdateOperators and
 * Location51108 for projections, updates and regex flags).
 */

let server: MongoTestServer;
let client: MongoClient;
/** `_id` numbers: the driver's default typing expects ObjectIds. */
interface User {
  _id: number;
  login: string;
  address?: { city: string };
  migration?: unknown;
  count?: number;
}

let users: Collection<User>;

beforeAll(async () => {
  server = await startMongoServer();
  client = new MongoClient(server.uri.replace('/?', '/fake?'));
  users = client.db('fake').collection<User>('users');
  await users.insertMany([
    { _id: 1, login: 'Alice', address: { city: 'Paris' } },
    { _id: 2, login: 'bob', address: { city: 'Lyon' } },
  ]);
});

afterAll(async () => {
  await client.close();
  await server.close();
});

async function refusal(run: () => Promise<unknown>): Promise<{ code?: unknown; codeName?: unknown; message: string }> {
  try {
    await run();
  } catch (error) {
    return error as { code?: unknown; codeName?: unknown; message: string };
  }
  throw new Error('the test server accepted what mongod refuses');
}

describe('mongo test server: refusals as mongod makes them', () => {
  it('refuses a projection of a path and a path inside it with Location31250 (Path collision)', async () => {
    const error = await refusal(() => users.find({}, { projection: { address: 1, 'address.city': 1 } }).toArray());
    expect(error).toMatchObject({ code: 31250, message: 'Path collision at address.city remaining portion city' });
    expect(await users.find({}, { projection: { _id: 0, 'address.city': 1 } }).toArray()).toEqual([{ address: { city: 'Paris' } }, { address: { city: 'Lyon' } }]);
  });

  it('refuses an update of a path and a path inside it with 40 (ConflictingUpdateOperators)', async () => {
    const error = await refusal(() => users.updateOne({ _id: 1 }, { $set: { migration: 'x', 'migration.objectId': 'y' } }));
    expect(error).toMatchObject({ code: 40, codeName: 'ConflictingUpdateOperators' });
    const across = await refusal(() => users.updateOne({ _id: 1 }, { $set: { count: 1 }, $inc: { count: 1 } }));
    expect(across).toMatchObject({ code: 40 });
    expect(await users.findOne({ _id: 1 }, { projection: { migration: 1, count: 1 } })).toEqual({ _id: 1 });
  });

  it.each([
    [{ locale: 'en-US' }, 2],
    [{ locale: 'en_us' }, 2],
    [{ locale: 'root' }, 2],
    [{ locale: 'zh_HANT' }, 2],
    [{ locale: 'en_US_' }, 2],
    [{ locale: 'simple', strength: 2 }, 9],
    [{ locale: 'en', strength: 6 }, 9],
    [{ locale: 'en', strenght: 2 }, 9],
  ])('refuses the collation %j with code %i', async (collation, code) => {
    const error = await refusal(() => users.find({ login: 'alice' }, { collation: collation }).toArray());
    expect(error).toMatchObject({ code });
  });

  it('accepts the locales mongod accepts', async () => {
    for (const locale of ['en', 'en_US', 'de_AT', 'zh_Hant', 'de@collation=phonebook']) {
      expect(await users.countDocuments({ login: 'alice' }, { collation: { locale, strength: 2 } }), locale).toBe(1);
    }
    // ICU's POSIX variant orders case first; accepted is all this checks.
    await users.countDocuments({ login: 'alice' }, { collation: { locale: 'en_US_POSIX', strength: 2 } });
    expect(await users.countDocuments({ login: 'alice' }, { collation: { locale: 'simple' } })).toBe(0);
  });

  it('refuses $regex $options flags mongod does not know (g, y) with Location51108', async () => {
    for (const options of ['g', 'y', 'ig']) {
      const error = await refusal(() => users.find({ login: { $regex: 'b', $options: options } }).toArray());
      expect(error).toMatchObject({ code: 51108, message: expect.stringMatching(/^invalid flag in regex options: [gy]$/u) as unknown });
    }
    expect(await users.countDocuments({ login: { $regex: '^ALICE$', $options: 'i' } })).toBe(1);
  });
});
