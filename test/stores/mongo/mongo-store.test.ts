import { randomBytes } from 'node:crypto';
import { MongoClient, ObjectId, type Collection } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { mongoUserStore, type MongoStoreOptions } from '../../../src/stores/mongo/mongo-store.js';
import { injectionUsernames } from '../../../src/testing/conformance.js';
import { startMongoServer, type MongoTestServer } from '../../harness/mongo-server.js';
import { describeStoreConformance, fixtureUsers } from '../fixture-conformance.js';
import { fixtureRows } from '../sql/sql-fixture.js';

/**
 * The MongoDB store through the real `mongodb` driver against the in-repo OP_MSG test server
 * (test/harness/mongo-server.ts, queries evaluated by mingo). No mongod can run here: what this cannot show
 * is the real server's query planner, index collations and authentication (docs/stores/mongo.md).
 */

let server: MongoTestServer;
let client: MongoClient;
const registry = createHashRegistry({ workers: false });
const database = 'legacy';

/** The fixture users as documents: ObjectId keys, the email in a sub-document, dave blocked. */
async function seedUsers(users: Collection): Promise<void> {
  await users.insertMany(
    fixtureRows().map((row) => ({
      _id: new ObjectId(row.id.toString(16).padStart(24, '0')),
      login: row.username,
      contact: { email: row.email },
      passwordHash: row.password_hash,
      blocked: row.disabled === 1,
      profile: { displayName: row.display_name, givenName: row.given_name, surname: row.family_name },
    })),
  );
}

beforeAll(async () => {
  server = await startMongoServer();
  client = new MongoClient(server.uri.replace('/?', `/${database}?`));
  await seedUsers(client.db(database).collection('users'));
});

afterAll(async () => {
  await client.close();
  await server.close();
  await registry.close();
});

const options = (overrides: Partial<MongoStoreOptions> = {}): MongoStoreOptions => ({
  uri: server.uri,
  database,
  collection: 'users',
  registry,
  connectTimeoutMs: 1_500,
  queryTimeoutMs: 1_500,
  matchEmail: true,
  mapping: {
    username: 'login',
    email: 'contact.email',
    hash: 'passwordHash',
    displayName: 'profile.displayName',
    givenName: 'profile.givenName',
    surname: 'profile.surname',
    states: [{ field: 'blocked', when: 'true', status: 'disabled' }],
  },
  writeBack: { migratedAtField: 'migration.at', objectIdField: 'migration.objectId' },
  ...overrides,
});

describeStoreConformance('mongo', () => mongoUserStore(options()), {
  createUnavailable: () => mongoUserStore(options({ uri: 'mongodb://127.0.0.1:1/?directConnection=true', connectTimeoutMs: 300 })),
});

describe('mongo store behaviour', () => {
  it('never sends an operator object: a non-string username is refused before any query', async () => {
    const store = await mongoUserStore(options());
    try {
      const before = server.commands.filter((command) => command.command === 'find').length;
      for (const username of [{ $ne: null }, { $gt: '' }, { $where: 'true' }, ['alice'], 42]) {
        const outcome = await store.verify({ username: username as unknown as string, password: fixtureUsers.valid.password });
        expect(outcome.status).toBe('unknown_user');
        expect(await store.get(username as unknown as string)).toBeNull();
      }
      expect(server.commands.filter((command) => command.command === 'find').length).toBe(before);
    } finally {
      await store.close();
    }
  });

  it('sends injection text only as a string equality', async () => {
    const store = await mongoUserStore(options());
    try {
      for (const username of injectionUsernames('alice')) {
        expect((await store.verify({ username, password: fixtureUsers.valid.password })).status, username).toBe('unknown_user');
      }
      const finds = server.commands.filter((command) => command.command === 'find' && JSON.stringify(command.body).includes('$where'));
      for (const find of finds) {
        const filter = find.body['filter'] as Record<string, unknown>;
        // Every value compared is a string literal, wherever the text came from.
        const values = JSON.stringify(filter).match(/"(?:login|contact\.email)":(\{|\[)/gu);
        expect(values, JSON.stringify(filter)).toBeNull();
      }
    } finally {
      await store.close();
    }
  });

  it('pages by _id through 2,500 users in order, each once, and resumes from a cursor', async () => {
    const bulk = client.db(database).collection('bulk');
    await bulk.insertMany(Array.from({ length: 2_500 }, (_, i) => ({ _id: new ObjectId(), login: `user${i}`, passwordHash: null })));
    const store = await mongoUserStore(options({ collection: 'bulk', matchEmail: false, mapping: { username: 'login', hash: 'passwordHash' }, batchSize: 1_000 }));
    try {
      const seen: string[] = [];
      let third: string | undefined;
      for await (const profile of store.list()) {
        seen.push(profile.username);
        if (seen.length === 1_500) third = profile.cursor;
      }
      expect(seen).toHaveLength(2_500);
      expect(new Set(seen).size).toBe(2_500);
      expect(seen.slice(0, 3)).toEqual(['user0', 'user1', 'user2']);
      const rest: string[] = [];
      for await (const profile of store.list({ after: third as string })) rest.push(profile.username);
      expect(rest).toEqual(seen.slice(1_500));
    } finally {
      await store.close();
    }
  });

  it('pages through keys of mixed types (numbers, strings, ObjectIds) in BSON order, across each type boundary', async () => {
    const mixedKeys = client.db(database).collection<{ _id: unknown; login: string; passwordHash: null }>('mixed_keys');
    const objectIds = [1, 2, 3, 4].map((n) => new ObjectId(n.toString(16).padStart(24, '0')));
    // Inserted out of order; mongod sorts numbers, then strings, then ObjectIds, and `$gt` stays in one bracket.
    const keys: unknown[] = ['b', objectIds[2], 3, 'a', 1.5, objectIds[0], 'd', 4, objectIds[3], 'c', objectIds[1], 1];
    await mixedKeys.insertMany(keys.map((key, index) => ({ _id: key, login: `m${index}`, passwordHash: null })));
    const store = await mongoUserStore(options({ collection: 'mixed_keys', matchEmail: false, mapping: { username: 'login', hash: 'passwordHash' } }));
    const expected = ['1', '1.5', '3', '4', 'a', 'b', 'c', 'd', ...objectIds.map((id) => id.toHexString())];
    try {
      for (const batchSize of [1, 3, 4, 5, 100]) {
        const seen: string[] = [];
        for await (const profile of store.list({ batchSize })) seen.push(profile.subjectId);
        expect(seen, `batchSize ${batchSize}`).toEqual(expected);
      }
      const profiles = [];
      for await (const profile of store.list({ batchSize: 3 })) profiles.push(profile);
      // Resuming at the last number and at the last string crosses into the next bracket.
      for (const at of [3, 7]) {
        const rest: string[] = [];
        for await (const profile of store.list({ batchSize: 2, after: profiles[at]?.cursor as string })) rest.push(profile.subjectId);
        expect(rest, `after ${expected[at]}`).toEqual(expected.slice(at + 1));
      }
      // A later bracket holding a key type cursors cannot carry stops the listing with a typed error.
      await mixedKeys.insertOne({ _id: new Date(0), login: 'dated', passwordHash: null });
      await expect(async () => {
        for await (const _ of store.list({ batchSize: 5 }));
      }).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    } finally {
      await store.close();
    }
  });

  it('finds names in any stored case through a collation', async () => {
    const mixed = client.db(database).collection('mixed');
    const row = fixtureRows()[0];
    await mixed.insertOne({ _id: new ObjectId(), login: 'Alice', passwordHash: row?.password_hash });
    const exact = await mongoUserStore(options({ collection: 'mixed', matchEmail: false, mapping: { username: 'login', hash: 'passwordHash' } }));
    const folded = await mongoUserStore(options({ collection: 'mixed', matchEmail: false, mapping: { username: 'login', hash: 'passwordHash' }, collation: { locale: 'en', strength: 2 } }));
    try {
      expect((await exact.verify(fixtureUsers.valid)).status).toBe('unknown_user');
      expect((await folded.verify(fixtureUsers.valid)).status).toBe('valid');
    } finally {
      await exact.close();
      await folded.close();
    }
  });

  it('writes back a confirmed migration by the ObjectId key', async () => {
    const store = await mongoUserStore(options());
    try {
      const bob = await store.get('bob');
      expect(bob?.subjectId).toMatch(/^[0-9a-f]{24}$/u);
      expect(await store.markMigrated?.(bob?.subjectId as string, { objectId: 'new-object-20' })).toBe(true);
      expect(await store.markMigrated?.('0'.repeat(24), { objectId: 'x' })).toBe(false);
      const stored = await client.db(database).collection('users').findOne({ login: 'bob' });
      expect((stored?.['migration'] as { objectId?: string } | undefined)?.objectId).toBe('new-object-20');
    } finally {
      await store.close();
    }
  });

  it('answers unavailable, not invalid, while the server is silent, and recovers after a restart', async () => {
    const store = await mongoUserStore(options({ queryTimeoutMs: 500 }));
    try {
      expect((await store.verify(fixtureUsers.valid)).status).toBe('valid');
      server.setSilent(true);
      const outcome = await store.verify(fixtureUsers.valid);
      expect(outcome.status).toBe('unavailable');
      server.setSilent(false);
      await server.close();
      expect((await store.verify(fixtureUsers.valid)).status).toBe('unavailable');
      await server.restart();
      let recovered = 'unavailable';
      for (let i = 0; i < 20 && recovered !== 'valid'; i++) {
        recovered = (await store.verify(fixtureUsers.valid)).status;
        if (recovered !== 'valid') await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(recovered).toBe('valid');
    } finally {
      await store.close();
    }
  });
});

/**
 * Opt-in: the same conformance suites against a real MongoDB when LEGACY_IDP_TEST_MONGODB_URL names a database
 * the test may create a collection in (it drops it afterwards).
 */
const realServer = process.env['LEGACY_IDP_TEST_MONGODB_URL'];
if (realServer !== undefined) {
  describe('mongo against the real server of LEGACY_IDP_TEST_MONGODB_URL', () => {
  const collection = `legacy_idp_test_${randomBytes(6).toString('hex')}`;
  let realClient: MongoClient | undefined;
  beforeAll(async () => {
    realClient = new MongoClient(realServer);
    await seedUsers(realClient.db().collection(collection));
  });
  afterAll(async () => {
    await realClient?.db().collection(collection).drop();
    await realClient?.close();
  });
  describeStoreConformance('mongo (real server)', () =>
    mongoUserStore(options({ uri: realServer, database: undefined as unknown as string, collection, writeBack: undefined as unknown as MongoStoreOptions['writeBack'] })),
  );
});
}
