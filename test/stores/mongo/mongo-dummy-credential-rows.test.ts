/**
 * The dummy hash of unknown users when the first 2,000 documents hold no password (social or federated accounts
 * first, a few local ones far down): the record core read 20 pages of 100 and then had none, so an unknown user
 * cost nothing and a local user's wrong password a bcrypt run. The MongoDB store now asks for documents whose hash
 * field is set. Observed through the calls to a real registry; against the in-repo wire server.
 */
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { mongoUserStore } from '../../../src/stores/mongo/mongo-store.js';
import { startMongoServer, type MongoTestServer } from '../../harness/mongo-server.js';
import { recordingRegistry } from '../../harness/recording-registry.js';

let server: MongoTestServer;
let client: MongoClient;
const registry = createHashRegistry({ workers: false });
const database = 'dummy';
const localHash = bcrypt.hashSync('Local-Pw-1', 4);

beforeAll(async () => {
  server = await startMongoServer();
  client = new MongoClient(server.uri.replace('/?', `/${database}?`));
});

afterAll(async () => {
  await client.close();
  await server.close();
  await registry.close();
});

describe('mongo store: the dummy hash past 2,000 password-less documents', () => {
  it('is a stored value of the local accounts (empty and missing hashes skipped)', async () => {
    const name = `c${randomBytes(6).toString('hex')}`;
    const documents: Array<Record<string, unknown>> = [];
    for (let id = 1; id <= 2_100; id++) documents.push(id % 3 === 0 ? { _id: id, login: `social-${id}`, passwordHash: '' } : { _id: id, login: `social-${id}` });
    documents.push({ _id: 5_000, login: 'admin', passwordHash: localHash });
    await client.db(database).collection(name).insertMany(documents);
    const recording = recordingRegistry(registry);
    const store = await mongoUserStore({
      uri: server.uri,
      database,
      collection: name,
      registry: recording.registry,
      connectTimeoutMs: 1_500,
      queryTimeoutMs: 5_000,
      // `auto`: no fixed scheme to make a dummy in.
      mapping: { username: 'login', hash: 'passwordHash' },
    });
    try {
      await store.prepare();
      const before = recording.calls.map((call) => call.hash).length;
      await store.dummyVerify?.('unknown-users-password');
      // Before: no call at all.
      expect(recording.calls.map((call) => call.hash).slice(before)).toEqual([localHash]);
      expect(await store.verify({ username: 'admin', password: 'Local-Pw-1' })).toMatchObject({ status: 'valid' });
    } finally {
      await store.close();
    }
  });
});
