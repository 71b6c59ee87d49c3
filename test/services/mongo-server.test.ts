import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { deserialize, serialize } from 'bson';
import { MongoClient, MongoNetworkError, MongoServerError, MongoServerSelectionError, ObjectId, type Document, type MongoClientOptions } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMongoServer, type MongoTestServer } from '../harness/mongo-server.js';

const clients: MongoClient[] = [];

/** A client on `database`, closed after the test; the uri keeps the harness's 2 s server selection timeout. */
function connect(server: MongoTestServer, database: string, options: MongoClientOptions = {}): MongoClient {
  const client = new MongoClient(server.uri.replace('/?', `/${database}?`), options);
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Resolves with how the promise settled and how long that took. */
async function settle(promise: Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await promise;
    return { error: undefined, elapsedMs: performance.now() - started };
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
}

describe('in-repo MongoDB wire server with the real driver', () => {
  let server: MongoTestServer;

  beforeAll(async () => {
    server = await startMongoServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('completes the handshake and answers ping on 127.0.0.1', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.uri).toBe(`mongodb://127.0.0.1:${server.port}/?directConnection=true&serverSelectionTimeoutMS=2000`);
    const client = connect(server, 'app');
    expect(await client.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
    const handshake = server.commands.find((entry) => ['hello', 'isMaster', 'ismaster'].includes(entry.command));
    expect(handshake).toMatchObject({ database: 'admin' });
    expect(server.commands.some((entry) => entry.command === 'ping' && entry.database === 'admin')).toBe(true);
    expect(await client.db('admin').command({ buildInfo: 1 })).toMatchObject({ version: '7.0.0', ok: 1 });
  });

  it('finds with $or over two fields and applies the projection', async () => {
    const users = connect(server, 'app').db('app').collection(uniqueName('users'));
    await users.insertMany([
      { username: 'alice', email: 'alice@example.com', password: 'hash-a' },
      { username: 'bob', email: 'bob@example.com', password: 'hash-b' },
      { username: 'carol', email: 'carol@example.com', password: 'hash-c' },
    ]);
    const found = await users
      .find({ $or: [{ username: 'alice' }, { email: 'carol@example.com' }] }, { projection: { _id: 0, username: 1, email: 1 } })
      .sort({ username: -1 })
      .toArray();
    expect(found).toEqual([
      { username: 'carol', email: 'carol@example.com' },
      { username: 'alice', email: 'alice@example.com' },
    ]);
    const insert = server.commands.find((entry) => entry.command === 'insert' && entry.body.insert === users.collectionName);
    // The driver sends the documents as an OP_MSG document sequence; the log shows them merged in.
    expect(insert?.body.documents).toHaveLength(3);
  });

  it('matches case-insensitively with collation strength 2, but keeps accents significant', async () => {
    const users = connect(server, 'app').db('app').collection(uniqueName('users'));
    await users.insertMany([{ username: 'ALICE' }, { username: 'Alicé' }, { username: 'bob' }]);
    const byName = async (filter: Document, strength?: 1 | 2): Promise<string[]> => {
      const cursor = strength === undefined ? users.find(filter) : users.find(filter, { collation: { locale: 'en', strength } });
      return (await cursor.sort({ username: 1 }).toArray()).map((user) => String(user.username));
    };
    expect(await byName({ username: 'alice' })).toEqual([]);
    expect(await byName({ username: 'alice' }, 2)).toEqual(['ALICE']);
    expect(await byName({ username: { $in: ['nobody', 'alice'] } }, 2)).toEqual(['ALICE']);
    expect(await byName({ username: 'alice' }, 1)).toEqual(['ALICE', 'Alicé']);
    expect(await users.countDocuments({ username: 'BOB' }, { collation: { locale: 'en', strength: 2 } })).toBe(1);
  });

  it('pages 2,500 documents by _id keyset, each exactly once and in ObjectId byte order, over several getMores', async () => {
    const collectionName = uniqueName('paging');
    const paging = connect(server, 'app').db('app').collection<{ _id: ObjectId; n: number }>(collectionName);
    // Random ids (not the monotonic ones the driver makes), inserted out of order, so only a real
    // byte-order sort yields the expected sequence.
    const ids = Array.from({ length: 2500 }, () => new ObjectId(randomBytes(12)));
    await paging.insertMany(ids.map((_id, n) => ({ _id, n })));
    const expected = ids.map((id) => id.toHexString()).sort();

    const pageSize = 1200;
    const seen: string[] = [];
    let lastId: ObjectId | undefined;
    for (;;) {
      const page = await paging
        .find(lastId ? { _id: { $gt: lastId } } : {})
        .sort({ _id: 1 })
        .limit(pageSize)
        .batchSize(1000)
        .toArray();
      seen.push(...page.map((document) => document._id.toHexString()));
      if (page.length < pageSize) break;
      lastId = page[page.length - 1]!._id;
    }

    expect(seen).toEqual(expected);
    const finds = server.commands.filter((entry) => entry.command === 'find' && entry.body.find === collectionName);
    const getMores = server.commands.filter((entry) => entry.command === 'getMore' && entry.body.collection === collectionName);
    expect(finds.map((entry) => entry.body.batchSize)).toEqual([1000, 1000, 1000]);
    // Pages of 1,200 with batches of 1,000: two full pages each need one getMore, the last 100 do not.
    expect(getMores).toHaveLength(2);
  });

  it('brackets $gt on _id by type and sorts mixed _ids in BSON order', async () => {
    const mixed = connect(server, 'app').db('app').collection<{ _id: unknown }>(uniqueName('mixed'));
    const objectId = new ObjectId();
    await mixed.insertMany([{ _id: '10' }, { _id: 2 }, { _id: objectId }, { _id: 'b' }, { _id: 10 }, { _id: '2' }, { _id: 1.5 }]);
    const ids = async (filter: Document): Promise<unknown[]> => (await mixed.find(filter).sort({ _id: 1 }).toArray()).map((document) => document._id);
    expect(await ids({ _id: { $gt: 2 } })).toEqual([10]);
    expect(await ids({ _id: { $gt: '10' } })).toEqual(['2', 'b']);
    expect(await ids({ _id: { $lte: objectId } })).toEqual([objectId]);
    expect(await ids({})).toEqual([1.5, 2, 10, '10', '2', 'b', objectId]);
  });

  it('rejects a duplicate on a unique index with code 11000 and keeps the first document', async () => {
    const users = connect(server, 'app').db('app').collection(uniqueName('users'));
    // Driver 7.9 deprecates the two-argument overload: index options and command options are separate.
    await users.createIndex({ username: 1 }, { unique: true }, undefined);
    await users.insertOne({ username: 'alice' });
    const duplicate = await settle(users.insertOne({ username: 'alice' }));
    expect(duplicate.error).toBeInstanceOf(MongoServerError);
    expect(duplicate.error).toMatchObject({ code: 11000, keyValue: { username: 'alice' } });
    expect(await users.countDocuments()).toBe(1);
    const indexNames: unknown[] = [];
    for await (const index of users.listIndexes()) indexNames.push((index as Document).name);
    expect(indexNames).toEqual(['_id_', 'username_1']);
  });

  it('updateOne $set changes exactly one of several matching documents', async () => {
    const name = uniqueName('users');
    const users = connect(server, 'app').db('app').collection(name);
    await users.insertMany([{ username: 'a', role: 'user' }, { username: 'b', role: 'user' }, { username: 'c', role: 'user' }]);
    const result = await users.updateOne({ role: 'user' }, { $set: { role: 'admin' } });
    expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    const roles = server.documents('app', name).map((document) => document.role);
    expect(roles.filter((role) => role === 'admin')).toHaveLength(1);
    expect(roles.filter((role) => role === 'user')).toHaveLength(2);
  });

  it('refuses $where anywhere in a filter with a MongoServerError, running nothing', async () => {
    const users = connect(server, 'app').db('app').collection(uniqueName('users'));
    await users.insertOne({ username: 'alice' });
    for (const filter of [{ $where: 'this.username == "alice"' }, { $or: [{ username: 'bob' }, { $where: 'true' }] }]) {
      const refused = await settle(users.find(filter).toArray());
      expect(refused.error).toBeInstanceOf(MongoServerError);
      expect(refused.error).toMatchObject({ code: 2, codeName: 'BadValue', message: expect.stringContaining('$where is not allowed') as unknown });
    }
  });

  it('evaluates operator objects as values exactly as MongoDB does, and rejects what MongoDB rejects', async () => {
    const users = connect(server, 'app').db('app').collection(uniqueName('users'));
    await users.insertMany([
      { key: 'string', username: 'alice' },
      { key: 'null', username: null },
      { key: 'missing' },
      { key: 'array-with-null', username: ['x', null] },
      { key: 'number', username: 7 },
    ]);
    const keys = async (filter: Document): Promise<string[]> => (await users.find(filter).toArray()).map((user) => String(user.key)).sort();
    expect(await keys({ username: { $ne: null } })).toEqual(['number', 'string']);
    expect(await keys({ username: null })).toEqual(['array-with-null', 'missing', 'null']);
    expect(await keys({ username: { $gt: '' } })).toEqual(['array-with-null', 'string']);
    expect(await keys({ username: { $exists: false } })).toEqual(['missing']);
    expect(await keys({ username: { $regex: '^ALI', $options: 'i' } })).toEqual(['string']);
    expect(await keys({ username: /^ALI/ })).toEqual([]);
    expect(await keys({ username: { $in: [/^X$/i, 7] } })).toEqual(['array-with-null', 'number']);

    const unknownOperator = await settle(users.find({ username: { $foo: 1 } }).toArray());
    expect(unknownOperator.error).toBeInstanceOf(MongoServerError);
    expect(unknownOperator.error).toMatchObject({ code: 2, message: 'unknown operator: $foo' });
    const inWithoutArray = await settle(users.find({ username: { $in: 'alice' } }).toArray());
    expect(inWithoutArray.error).toMatchObject({ code: 2, message: '$in needs an array' });
  });

  it('answers unknown commands with CommandNotFound', async () => {
    const refused = await settle(connect(server, 'app').db('app').command({ frobnicate: 1 }));
    expect(refused.error).toBeInstanceOf(MongoServerError);
    expect(refused.error).toMatchObject({ code: 59, codeName: 'CommandNotFound', message: "no such command: 'frobnicate'" });
  });

  it('answers a legacy OP_QUERY isMaster with OP_REPLY, and an OP_MSG that carries a checksum', async () => {
    const header = (length: number, opCode: number): Buffer => {
      const bytes = Buffer.alloc(16);
      bytes.writeInt32LE(length, 0);
      bytes.writeInt32LE(7, 4); // requestID, echoed as responseTo
      bytes.writeInt32LE(opCode, 12);
      return bytes;
    };
    const exchange = (request: Buffer): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        let received = Buffer.alloc(0);
        const socket = createConnection({ port: server.port, host: server.host }, () => socket.write(request));
        socket.setTimeout(2000, () => {
          socket.destroy();
          reject(new Error('no reply'));
        });
        socket.on('error', reject);
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          if (received.length >= 4 && received.length >= received.readInt32LE(0)) {
            socket.destroy();
            resolve(received);
          }
        });
      });

    const query = serialize({ isMaster: 1, helloOk: true });
    const queryFields = Buffer.concat([Buffer.alloc(4), Buffer.from('admin.$cmd\0'), Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])]);
    const legacy = await exchange(Buffer.concat([header(16 + queryFields.length + query.length, 2004), queryFields, query]));
    expect(legacy.readInt32LE(8)).toBe(7);
    expect(legacy.readInt32LE(12)).toBe(1); // OP_REPLY
    expect(legacy.readInt32LE(32)).toBe(1); // numberReturned
    const hello = deserialize(legacy.subarray(36));
    expect(hello).toMatchObject({ ismaster: true, isWritablePrimary: true, helloOk: true, maxWireVersion: 21, minWireVersion: 0, logicalSessionTimeoutMinutes: 30, ok: 1 });
    expect(hello).not.toHaveProperty('topologyVersion');
    expect(hello).not.toHaveProperty('compression');

    const ping = serialize({ ping: 1, $db: 'admin' });
    const flags = Buffer.from([1, 0, 0, 0, 0]); // checksumPresent, then section kind 0
    const crc = Buffer.alloc(4); // deliberately not a real CRC-32C: the server skips it
    const checksummed = await exchange(Buffer.concat([header(16 + flags.length + ping.length + crc.length, 2013), flags, ping, crc]));
    expect(checksummed.readInt32LE(12)).toBe(2013);
    expect(deserialize(checksummed.subarray(21))).toEqual({ ok: 1 });
  });

  it('drops a connection that sends malformed bytes and keeps serving others', async () => {
    const closedAfter = (bytes: Buffer): Promise<boolean> =>
      new Promise((resolve) => {
        const socket = createConnection({ port: server.port, host: server.host }, () => socket.write(bytes));
        socket.setTimeout(2000, () => {
          socket.destroy();
          resolve(false);
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
          resolve(true);
        });
      });
    const impossibleLength = Buffer.alloc(16);
    impossibleLength.writeInt32LE(3, 0);
    const brokenBson = Buffer.alloc(30);
    brokenBson.writeInt32LE(30, 0);
    brokenBson.writeInt32LE(2013, 12);
    brokenBson.writeInt32LE(999, 21); // a body section whose BSON length overruns the message
    expect(await closedAfter(impossibleLength)).toBe(true);
    expect(await closedAfter(brokenBson)).toBe(true);
    expect(await connect(server, 'app').db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
  });
});

describe('in-repo MongoDB wire server faults', () => {
  let server: MongoTestServer;

  beforeAll(async () => {
    server = await startMongoServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('a silent server produces timeouts, not hangs', async () => {
    // The driver retries a read that timed out on a fresh connection, whose handshake is bounded by
    // connectTimeoutMS (default 30 s), not socketTimeoutMS: both must be small for a prompt failure.
    const connected = connect(server, 'app', { socketTimeoutMS: 300, connectTimeoutMS: 300, serverSelectionTimeoutMS: 500 });
    await connected.db('admin').command({ ping: 1 });
    server.setSilent(true);
    try {
      const onOpenConnection = await settle(connected.db('app').collection('users').findOne({ username: 'alice' }));
      expect(onOpenConnection.error).toBeInstanceOf(MongoNetworkError);
      expect(String(onOpenConnection.error)).toMatch(/timed out/i);
      expect(onOpenConnection.elapsedMs).toBeLessThan(3000);

      const fresh = connect(server, 'app', { serverSelectionTimeoutMS: 500, connectTimeoutMS: 300 });
      const onNewClient = await settle(fresh.db('admin').command({ ping: 1 }));
      expect(onNewClient.error).toBeInstanceOf(MongoServerSelectionError);
      expect(onNewClient.elapsedMs).toBeLessThan(3000);
    } finally {
      server.setSilent(false);
    }
    expect(await connect(server, 'app').db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
  });

  it('close() makes operations fail fast, restart() brings the same port and data back', async () => {
    const name = uniqueName('users');
    const before = connect(server, 'app', { serverSelectionTimeoutMS: 1000 });
    await before.db('app').collection(name).insertOne({ username: 'alice' });

    await server.close();
    const whileDown = await settle(before.db('app').collection(name).findOne({ username: 'alice' }));
    expect(whileDown.error).toSatisfy((error: unknown) => error instanceof MongoNetworkError || error instanceof MongoServerSelectionError);
    expect(whileDown.elapsedMs).toBeLessThan(3000);

    await server.restart();
    const after = connect(server, 'app');
    expect(await after.db('app').collection(name).findOne({ username: 'alice' }, { projection: { _id: 0 } })).toEqual({ username: 'alice' });
    expect(server.documents('app', name)).toHaveLength(1);
  });
});
