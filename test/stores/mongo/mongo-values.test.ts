import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { Binary, Decimal128, Long, MongoClient, ObjectId, UUID, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../../src/core/contracts.js';
import { isLegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { mongoUserStore, type MongoStoreOptions } from '../../../src/stores/mongo/mongo-store.js';
import { startMongoServer, type MongoTestServer } from '../../harness/mongo-server.js';

/**
 * What the mongodb driver hands over besides strings and numbers: BinData as bson `Binary` objects, int64 beyond
 * 2^53 as `Long`, Decimal128, arrays (a field with several values, a path through an array of documents), and keys
 * of several types that read as the same text. Against the in-repo wire server (test/harness/mongo-server.ts).
 */

let server: MongoTestServer;
let client: MongoClient;
const registry = createHashRegistry({ workers: false });
const database = 'values';
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

/** A fresh collection holding `documents`, and a store over it. */
async function storeOver(documents: Document[], overrides: Partial<MongoStoreOptions> = {}) {
  const name = `c${randomBytes(6).toString('hex')}`;
  const collection = client.db(database).collection(name);
  if (documents.length > 0) await collection.insertMany(documents);
  const store = await mongoUserStore({
    uri: server.uri,
    database,
    collection: name,
    registry,
    connectTimeoutMs: 1_500,
    queryTimeoutMs: 1_500,
    mapping: { username: 'login', hash: 'passwordHash', scheme: 'bcrypt' },
    ...overrides,
  });
  return { store, collection };
}

async function listAll(store: { list(options?: { batchSize?: number; after?: string }): AsyncIterable<Profile> }, options: { batchSize?: number; after?: string } = {}): Promise<Profile[]> {
  const profiles: Profile[] = [];
  for await (const profile of store.list(options)) profiles.push(profile);
  return profiles;
}

describe('mongo store: BinData (bson Binary) values', () => {
  it('reads a bcrypt hash and a username stored as BinData as their text, as the SQL store reads binary columns', async () => {
    const { store } = await storeOver([
      { _id: 1, login: 'bin-bcrypt', passwordHash: new Binary(Buffer.from(hash)), avatar: new Binary(Buffer.from([1, 2, 3])), external: new UUID('0f8fad5b-d9cb-469f-a165-70867728950e') },
      { _id: 2, login: new Binary(Buffer.from('bin-name')), passwordHash: hash },
    ], { mapping: { username: 'login', hash: 'passwordHash', scheme: 'bcrypt', attributes: { avatar: 'avatar', external: 'external' } } });
    try {
      expect((await store.verify({ username: 'bin-bcrypt', password })).status).toBe('valid');
      expect((await store.verify({ username: 'bin-bcrypt', password: 'wrong' })).status).toBe('invalid');
      const profile = await store.get('bin-bcrypt');
      expect(profile?.credential?.hash).toBe(hash);
      // Binary that is not text is a base64 claim; a UUID keeps its hex form.
      expect(profile?.attributes).toEqual({ avatar: 'AQID', external: '0f8fad5b-d9cb-469f-a165-70867728950e' });
      expect((await listAll(store)).map((listed) => listed.username)).toEqual(['bin-bcrypt', 'bin-name']);
    } finally {
      await store.close();
    }
  });

  it('verifies a raw digest and its salt stored as BinData (context read as base64)', async () => {
    const salt = randomBytes(8);
    const digest = createHash('sha256').update(Buffer.concat([Buffer.from(password), salt])).digest();
    const { store } = await storeOver([{ _id: 1, login: 'raw', hash: new Binary(digest), salt: new Binary(salt) }], {
      mapping: { username: 'login', hash: 'hash', scheme: 'salted_digest', context: { salt: 'salt' }, staticContext: { algorithm: 'sha256', saltEncoding: 'base64', encoding: 'base64' } },
    });
    try {
      expect((await store.verify({ username: 'raw', password })).status).toBe('valid');
      expect((await store.verify({ username: 'raw', password: 'wrong' })).status).toBe('invalid');
    } finally {
      await store.close();
    }
  });
});

describe('mongo store: subject ids of keys of different types', () => {
  const documents = [
    { _id: 7, login: 'seven-number', passwordHash: null },
    { _id: '007', login: 'seven-string', passwordHash: null },
    { _id: 42, login: 'n42', passwordHash: null },
    { _id: '42', login: 's42', passwordHash: null },
    { _id: '00000000000000000000000a', login: 'hex-string', passwordHash: null },
    { _id: new ObjectId('00000000000000000000000a'), login: 'object-id', passwordHash: null },
    { _id: 1.5, login: 'double', passwordHash: null },
  ];

  it('writes back to the one document whose key reads as the subject id, never to another type of key', async () => {
    const { store, collection } = await storeOver(documents, { writeBack: { objectIdField: 'migratedTo' } });
    try {
      const migrated = async (login: string) => (await collection.findOne({ login }))?.['migratedTo'] as string | undefined;
      const s007 = await store.get('seven-string');
      expect(s007?.subjectId).toBe('007');
      expect(await store.markMigrated?.('007', { objectId: 'entra-007' })).toBe(true);
      expect(await migrated('seven-string')).toBe('entra-007');
      expect(await migrated('seven-number')).toBeUndefined();
      expect(await store.markMigrated?.('7', { objectId: 'entra-7' })).toBe(true);
      expect(await migrated('seven-number')).toBe('entra-7');
      expect(await store.markMigrated?.('1.5', { objectId: 'entra-1.5' })).toBe(true);
      expect(await migrated('double')).toBe('entra-1.5');
      expect(await store.markMigrated?.('43', { objectId: 'nobody' })).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('refuses, with a typed error and without writing, a subject id that keys of two types read as', async () => {
    const { store, collection } = await storeOver(documents, { writeBack: { objectIdField: 'migratedTo' } });
    try {
      for (const subjectId of ['42', '00000000000000000000000a']) {
        const error = await store.markMigrated?.(subjectId, { objectId: 'entra-x' }).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_INVALID'), String(error)).toBe(true);
        expect((error as { path?: string }).path).toBe('mapping.subjectId');
        expect((error as Error).message).not.toContain(subjectId);
      }
      expect(await collection.countDocuments({ migratedTo: { $exists: true } })).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe('mongo store: arrays (MongoDB matches any element)', () => {
  // Meteor accounts-password: emails is an array of { address, verified }, the hash nested under services.
  const meteor = [
    { _id: 'a1', username: 'ann', emails: [{ address: 'ann@x.org', verified: true }], services: { password: { bcrypt: hash } } },
    { _id: 'b1', username: 'ann@x.org', emails: [{ address: 'other@x.org', verified: true }], services: { password: { bcrypt: hash } } },
    { _id: 'c1', username: 'cy', emails: [{ address: 'cy@x.org', verified: false }, { address: 'cy@work.org', verified: true }], services: { password: { bcrypt: hash } } },
  ];
  const meteorMapping = { username: 'username', email: 'emails.address', hash: 'services.password.bcrypt', scheme: 'bcrypt', attributes: { addresses: 'emails.address' } } as const;

  it('reads a path through an array of documents: the first address is the email, all of them the attribute', async () => {
    const { store } = await storeOver(meteor, { matchEmail: true, mapping: meteorMapping });
    try {
      const listed = await listAll(store);
      expect(listed.map((profile) => [profile.subjectId, profile.username, profile.email])).toEqual([
        ['a1', 'ann', 'ann@x.org'],
        ['b1', 'ann@x.org', 'other@x.org'],
        ['c1', 'cy', 'cy@x.org'],
      ]);
      expect(listed[2]?.attributes).toEqual({ addresses: ['cy@x.org', 'cy@work.org'] });
    } finally {
      await store.close();
    }
  });

  it('a username match wins over an email match found in an array', async () => {
    const { store } = await storeOver(meteor, { matchEmail: true, mapping: meteorMapping });
    try {
      const outcome = await store.verify({ username: 'ann@x.org', password });
      expect(outcome).toMatchObject({ status: 'valid', subjectId: 'b1' });
      expect(await store.verify({ username: 'cy@work.org', password })).toMatchObject({ status: 'valid', subjectId: 'c1' });
    } finally {
      await store.close();
    }
  });

  it('a login field holding several names lists its first, and every name finds the user', async () => {
    const { store } = await storeOver(
      [
        { _id: 1, login: ['carol', 'carol.alias'], passwordHash: hash },
        { _id: 2, login: 'dan', mail: ['shared@x.org', 'dan@x.org'], passwordHash: hash },
        { _id: 3, login: 'shared@x.org', mail: 'erin@x.org', passwordHash: hash },
      ],
      { matchEmail: true, mapping: { username: 'login', email: 'mail', hash: 'passwordHash', scheme: 'bcrypt' } },
    );
    try {
      const listed = await listAll(store);
      expect(listed.map((profile) => [profile.username, profile.email])).toEqual([
        ['carol', undefined],
        ['dan', 'shared@x.org'],
        ['shared@x.org', 'erin@x.org'],
      ]);
      for (const profile of listed) expect((await store.get(profile.username))?.subjectId).toBe(profile.subjectId);
      expect(await store.verify({ username: 'carol.alias', password })).toMatchObject({ status: 'valid', subjectId: '1' });
      expect(await store.verify({ username: 'shared@x.org', password })).toMatchObject({ status: 'valid', subjectId: '3' });
      expect(await store.verify({ username: 'dan@x.org', password })).toMatchObject({ status: 'valid', subjectId: '2' });
    } finally {
      await store.close();
    }
  });
});

describe('mongo store: int64 and Decimal128 values', () => {
  const big = ['9007199254740993', '9007199254740995', '9223372036854775807'];

  it('int64 keys beyond 2^53 are subject ids in decimal, list in order across pages and resume, and take write-back', async () => {
    const { store, collection } = await storeOver(
      [
        { _id: Long.fromString(big[1] as string), login: 'big2', passwordHash: null },
        { _id: 5, login: 'small', passwordHash: null },
        { _id: Long.fromString(big[0] as string), login: 'big1', passwordHash: null, employee: Long.fromString('9007199254740997'), price: Decimal128.fromString('12.50') },
        { _id: Long.fromString(big[2] as string), login: 'max', passwordHash: null },
        { _id: 'text', login: 'text', passwordHash: null },
      ],
      { mapping: { username: 'login', hash: 'passwordHash', displayName: 'price', attributes: { employee: 'employee', price: 'price' } }, writeBack: { objectIdField: 'migratedTo' } },
    );
    try {
      const profile = await store.get('big1');
      expect(profile?.subjectId).toBe(big[0]);
      expect(profile?.displayName).toBe('12.50');
      expect(profile?.attributes).toEqual({ employee: '9007199254740997', price: '12.50' });
      const expected = ['5', ...big, 'text'];
      for (const batchSize of [1, 2, 100]) expect((await listAll(store, { batchSize })).map((listed) => listed.subjectId), `batchSize ${batchSize}`).toEqual(expected);
      const all = await listAll(store, { batchSize: 2 });
      expect((await listAll(store, { batchSize: 1, after: all[1]?.cursor as string })).map((listed) => listed.subjectId)).toEqual(expected.slice(2));
      expect(await store.markMigrated?.(big[1] as string, { objectId: 'entra-big2' })).toBe(true);
      expect((await collection.findOne({ login: 'big2' }))?.['migratedTo']).toBe('entra-big2');
      expect(await collection.countDocuments({ migratedTo: { $exists: true } })).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('Decimal128 keys list and resume in order', async () => {
    const { store } = await storeOver([
      { _id: Decimal128.fromString('2.50'), login: 'b', passwordHash: null },
      { _id: Decimal128.fromString('1.25'), login: 'a', passwordHash: null },
      { _id: 3, login: 'c', passwordHash: null },
    ]);
    try {
      expect((await listAll(store, { batchSize: 1 })).map((listed) => listed.subjectId)).toEqual(['1.25', '2.50', '3']);
    } finally {
      await store.close();
    }
  });

  it('a NaN or infinite key stops list() with a typed error, not a TypeError', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const { store } = await storeOver([
        { _id: bad, login: 'bad', passwordHash: null },
        { _id: 1, login: 'one', passwordHash: null },
        { _id: 2, login: 'two', passwordHash: null },
      ]);
      try {
        const error = await listAll(store, { batchSize: 1 }).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_INVALID'), `${String(bad)}: ${String(error)}`).toBe(true);
        expect((error as { path?: string }).path).toBe('mapping.subjectId');
      } finally {
        await store.close();
      }
    }
  });
});

describe('mongo store: projections MongoDB 4.4+ accepts', () => {
  it('a mapping that reads a document and a field inside it projects the document only', async () => {
    const { store } = await storeOver([{ _id: 1, login: 'alice', passwordHash: hash, address: { city: 'Paris', zip: '75001' } }], {
      mapping: { username: 'login', hash: 'passwordHash', scheme: 'bcrypt', attributes: { address: 'address', city: 'address.city' } },
    });
    try {
      expect(await store.verify({ username: 'alice', password })).toMatchObject({ status: 'valid', subjectId: '1' });
      expect((await store.get('alice'))?.attributes).toEqual({ address: { city: 'Paris', zip: '75001' }, city: 'Paris' });
      const projection = server.commands.filter((command) => command.command === 'find').at(-1)?.body['projection'];
      expect(projection).toEqual({ _id: 1, login: 1, passwordHash: 1, address: 1 });
    } finally {
      await store.close();
    }
  });
});
