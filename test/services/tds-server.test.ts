/**
 * The in-repo TDS test server against the real `mssql`/tedious driver. These tests pin what the SQL
 * store's mssql tests rely on: connect, typed parameters, recordset mapping, rowsAffected, error numbers,
 * timeouts and outages.
 */
import { createConnection, type Socket } from 'node:net';
import mssql from 'mssql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTdsServer, translateTsql, type TdsServer } from '../harness/tds-server.js';

const SCHEMA = `
  CREATE TABLE [users] (
    [id] INTEGER PRIMARY KEY,
    [name] NVARCHAR(100) NOT NULL UNIQUE,
    [email] NVARCHAR(200),
    [active] BIT,
    [score] REAL,
    [logins] BIGINT,
    [hash] VARBINARY,
    [created_at] DATETIME2
  );
  CREATE TABLE [numbers] ([n] INTEGER PRIMARY KEY, [label] NVARCHAR(50));
`;

type PoolConfig = Partial<mssql.config> & { options?: mssql.config['options'] };

describe('TDS test server with the real mssql driver', () => {
  let server: TdsServer;
  const pools: mssql.ConnectionPool[] = [];

  /** A pool on the test server; errors of dropped idle connections are expected in outage tests. */
  async function connect(overrides: PoolConfig = {}): Promise<mssql.ConnectionPool> {
    const pool = new mssql.ConnectionPool({
      ...server.mssqlConfig,
      pool: { max: 1, min: 0 },
      ...overrides,
      options: { ...server.mssqlConfig.options, ...overrides.options },
    });
    pool.on('error', () => undefined);
    pools.push(pool);
    await pool.connect();
    return pool;
  }

  beforeAll(async () => {
    server = await startTdsServer();
    server.database.exec(SCHEMA);
    const insert = server.database.prepare(
      'INSERT INTO users (id, name, email, active, score, logins, hash, created_at) VALUES (@id, @name, @email, @active, @score, @logins, @hash, @created)',
    );
    insert.run({ id: 1, name: 'alice', email: 'alice@example.org', active: 1, score: 2.5, logins: 9_007_199_254_740_993n, hash: Buffer.from([0xde, 0xad]), created: '2024-03-04T05:06:07.890Z' });
    insert.run({ id: 2, name: 'bob', email: null, active: 0, score: null, logins: null, hash: null, created: null });
    const numbers = server.database.prepare('INSERT INTO numbers (n, label) VALUES (?, ?)');
    server.database.transaction(() => {
      for (let n = 1; n <= 5000; n += 1) numbers.run(n, `row ${n} ${'x'.repeat(20)}`);
    })();
  });

  afterEach(() => {
    server.setSilent(false);
  });

  afterAll(async () => {
    await Promise.allSettled(pools.map((pool) => pool.close()));
    await server.close();
  });

  it('connects and answers the pool validation query', async () => {
    const pool = await connect();
    expect(pool.connected).toBe(true);
    const result = await pool.request().query('SELECT 1 AS [one]');
    expect(result.recordset).toEqual([{ one: 1 }]);
    expect(server.queries.some((entry) => /^set ansi_nulls on/iu.test(entry.sql))).toBe(true);
  });

  it('runs a parameterized query and maps NULLs, numbers, booleans, buffers and dates', async () => {
    const pool = await connect();
    const result = await pool.request().input('P1', mssql.NVarChar, 'alice').query('SELECT [id], [name], [email], [active], [score], [logins], [hash], [created_at] FROM [users] WHERE [name] = @P1');
    expect(result.recordset).toEqual([
      {
        id: 1,
        name: 'alice',
        email: 'alice@example.org',
        active: true,
        score: 2.5,
        // tedious returns BIGINT as a string, as it does with a real server.
        logins: '9007199254740993',
        hash: Buffer.from([0xde, 0xad]),
        created_at: new Date('2024-03-04T05:06:07.890Z'),
      },
    ]);
    expect(result.rowsAffected).toEqual([1]);

    const nulls = await pool.request().input('P1', mssql.NVarChar, 'bob').query('SELECT * FROM [users] WHERE [name] = @P1');
    expect(nulls.recordset).toEqual([{ id: 2, name: 'bob', email: null, active: false, score: null, logins: null, hash: null, created_at: null }]);

    const none = await pool.request().input('P1', mssql.NVarChar, 'nobody').query('SELECT [id] FROM [users] WHERE [name] = @P1');
    expect(none.recordset).toEqual([]);
  });

  it('translates SELECT TOP (@Pn) for paging', async () => {
    const pool = await connect();
    const page = async (after: number, size: number): Promise<number[]> => {
      const result = await pool.request().input('P1', mssql.Int, after).input('P2', mssql.Int, size).query<{ n: number }>('SELECT TOP (@P2) [n] FROM [numbers] WHERE [n] > @P1 ORDER BY [n]');
      return result.recordset.map((row) => row.n);
    };
    expect(await page(0, 3)).toEqual([1, 2, 3]);
    expect(await page(3, 3)).toEqual([4, 5, 6]);
    expect(await page(4998, 10)).toEqual([4999, 5000]);
    const literal = await pool.request().query<{ n: number }>('SELECT TOP (2) [n] FROM [numbers] ORDER BY [n] DESC;');
    expect(literal.recordset).toEqual([{ n: 5000 }, { n: 4999 }]);
  });

  it('reports rowsAffected for UPDATE, INSERT and DELETE', async () => {
    const pool = await connect();
    const updated = await pool.request().input('P1', mssql.NVarChar, 'bob').input('P2', mssql.Bit, true).query('UPDATE [users] SET [active] = @P2 WHERE [name] = @P1');
    expect(updated.rowsAffected).toEqual([1]);
    expect(server.database.prepare('SELECT active FROM users WHERE name = ?').pluck().get('bob')).toBe(1);
    const missed = await pool.request().input('P1', mssql.NVarChar, 'nobody').query('UPDATE [users] SET [active] = 0 WHERE [name] = @P1');
    expect(missed.rowsAffected).toEqual([0]);
    const inserted = await pool.request().query("INSERT INTO [numbers] ([n], [label]) VALUES (10001, N'a'), (10002, N'b')");
    expect(inserted.rowsAffected).toEqual([2]);
    const deleted = await pool.request().query('DELETE FROM [numbers] WHERE [n] > 10000');
    expect(deleted.rowsAffected).toEqual([2]);
  });

  it('rejects a wrong password with ELOGIN and error 18456, without echoing the password', async () => {
    const secret = 'Canary-Password-42';
    const pool = new mssql.ConnectionPool({ ...server.mssqlConfig, password: secret });
    pool.on('error', () => undefined);
    const failure: unknown = await pool.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(mssql.ConnectionError);
    const error = failure as mssql.ConnectionError;
    expect(error.code).toBe('ELOGIN');
    expect(error.message).toMatch(/18456|Login failed/u);
    expect(error.message).toContain(`'${server.mssqlConfig.user}'`);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(secret);
    await pool.close();
  });

  it('rejects an unknown database with error 4060', async () => {
    // tedious retries 4060 as a transient error unless told not to.
    await expect(connect({ database: 'elsewhere', options: { maxRetriesOnTransientErrors: 0 } })).rejects.toMatchObject({ code: 'ELOGIN', message: expect.stringContaining('elsewhere') as unknown });
  });

  it('maps SQLite errors to SQL Server error numbers and keeps the connection usable', async () => {
    const pool = await connect();
    await expect(pool.request().query('SELECT [missing] FROM [users]')).rejects.toMatchObject({ number: 207, message: "Invalid column name 'missing'.", code: 'EREQUEST' });
    await expect(pool.request().query('SELECT [u].[missing] FROM [users] AS [u]')).rejects.toMatchObject({ number: 207, message: "Invalid column name 'missing'." });
    await expect(pool.request().query('SELECT * FROM [no_such_table]')).rejects.toMatchObject({ number: 208, message: "Invalid object name 'no_such_table'." });
    await expect(pool.request().input('P1', mssql.NVarChar, 'alice').query('INSERT INTO [users] ([name]) VALUES (@P1)')).rejects.toMatchObject({ number: 2627 });
    await expect(pool.request().query('INSERT INTO [users] ([email]) VALUES (NULL)')).rejects.toMatchObject({ number: 515 });
    await expect(pool.request().query('SELEC 1')).rejects.toMatchObject({ number: 102 });
    await expect(pool.request().query('SELECT [id] FROM [users] WHERE [name] = @P9')).rejects.toMatchObject({ number: 137 });
    await expect(pool.request().query('SELECT json_extract(1, 2, 3) AS x')).rejects.toMatchObject({ number: 50000 });
    await expect(pool.request().execute('sp_who')).rejects.toMatchObject({ number: 2812 });
    const tableValued = new mssql.Table('dbo.ids');
    tableValued.columns.add('id', mssql.Int);
    tableValued.rows.add(1);
    await expect(pool.request().input('P1', tableValued).query('SELECT 1 AS [one]')).rejects.toMatchObject({ number: 50000, message: expect.stringContaining('0xf3 is not supported') as unknown });
    await expect(pool.batch('SELECT [missing] FROM [users]')).rejects.toMatchObject({ number: 207 });

    const after = await pool.request().query('SELECT COUNT(*) AS [count] FROM [users]');
    expect(after.recordset).toEqual([{ count: 2 }]);
  });

  it('delivers a large result across many packets of the negotiated size', async () => {
    for (const packetSize of [4096, 512]) {
      // tedious logs each packet header it receives; that shows the size the server really used.
      const receivedLengths: number[] = [];
      const pool = await connect({
        options: { packetSize, debug: { packet: true, data: false, payload: false, token: false } },
        beforeConnect: (connection) => {
          connection.on('debug', (text: string) => {
            const length = /type:0x04.*length:0x([0-9A-F]{4})/u.exec(text)?.[1];
            if (length !== undefined) receivedLengths.push(Number.parseInt(length, 16));
          });
        },
      });
      const result = await pool.request().query<{ n: number; label: string }>('SELECT [n], [label] FROM [numbers] ORDER BY [n]');
      expect(result.recordset).toHaveLength(5000);
      expect(result.rowsAffected).toEqual([5000]);
      expect(result.recordset[0]).toEqual({ n: 1, label: `row 1 ${'x'.repeat(20)}` });
      expect(result.recordset[4999]).toEqual({ n: 5000, label: `row 5000 ${'x'.repeat(20)}` });
      expect(result.recordset.every((row, index) => row.n === index + 1)).toBe(true);
      // 5,000 rows of about 80 bytes each.
      expect(receivedLengths.filter((length) => length === packetSize).length).toBeGreaterThan((5000 * 80) / packetSize - 1);
      expect(Math.max(...receivedLengths)).toBe(packetSize);
    }
  });

  it('round-trips Unicode as parameter and result, including text longer than one packet', async () => {
    const pool = await connect();
    const unicode = 'Zoë Straße 🔑 中文';
    const long = `${unicode} ${'ü'.repeat(10_000)}`;
    const echoed = await pool.request().input('P1', mssql.NVarChar, unicode).input('P2', mssql.NVarChar(mssql.MAX), long).query('SELECT @P1 AS [short], @P2 AS [long]');
    expect(echoed.recordset).toEqual([{ short: unicode, long }]);

    await pool.request().input('P1', mssql.NVarChar, 'josé').input('P2', mssql.NVarChar, `${unicode}@example.org`).query('INSERT INTO [users] ([id], [name], [email]) VALUES (3, @P1, @P2)');
    const found = await pool.request().input('P1', mssql.NVarChar, 'josé').query('SELECT [email] FROM [users] WHERE [name] = @P1');
    expect(found.recordset).toEqual([{ email: `${unicode}@example.org` }]);
    expect(server.queries.at(-1)?.parameters).toEqual({ P1: 'josé' });
    server.database.prepare('DELETE FROM users WHERE id = 3').run();

    const batch = await pool.batch("SELECT N'ß🔑' AS [literal]");
    expect(batch.recordset).toEqual([{ literal: 'ß🔑' }]);
  });

  it('times out a request with ETIMEOUT while the server is silent', async () => {
    // Without SELECT 1 validation on acquire, the query itself is what meets the silence.
    const pool = await connect({ requestTimeout: 500, connectionTimeout: 1000, validateConnection: false, options: { cancelTimeout: 500 } });
    // mssql drops the connection connect() made; a first query leaves one idle in the pool.
    await pool.request().query('SELECT 1 AS [one]');
    server.setSilent(true);
    const started = Date.now();
    const failure: unknown = await pool
      .request()
      .query('SELECT 2 AS [two]')
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(mssql.RequestError);
    expect(failure).toMatchObject({ code: 'ETIMEOUT', message: expect.stringContaining('500ms') as unknown });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(server.queries.at(-1)?.sql).toBe('SELECT 1 AS [one]');
    server.setSilent(false);
    // No attention acknowledgement came, so tedious gives that connection up; the pool makes a new one.
    const result = await pool.request().query('SELECT 3 AS [three]');
    expect(result.recordset).toEqual([{ three: 3 }]);
  });

  it('times out a connection attempt with ETIMEOUT while the server is silent', async () => {
    server.setSilent(true);
    await expect(connect({ connectionTimeout: 500 })).rejects.toMatchObject({ code: 'ETIMEOUT' });
  });

  it('acknowledges the attention a timed-out request sends, so the connection stays in use', async () => {
    const pool = await connect({ requestTimeout: 600, validateConnection: false });
    await pool.request().query('SELECT 1 AS [one]');
    const loginsBefore = server.queries.filter((entry) => /^set ansi_nulls/iu.test(entry.sql)).length;
    server.setSilent(true);
    const pending = pool.request().query('SELECT 2 AS [two]');
    // Swallow the request while silent; be talkative again before tedious sends its attention.
    await new Promise((resolve) => setTimeout(resolve, 250));
    server.setSilent(false);
    await expect(pending).rejects.toMatchObject({ code: 'ETIMEOUT', message: expect.stringContaining('600ms') as unknown });
    const result = await pool.request().query('SELECT 3 AS [three]');
    expect(result.recordset).toEqual([{ three: 3 }]);
    const loginsAfter = server.queries.filter((entry) => /^set ansi_nulls/iu.test(entry.sql)).length;
    expect(loginsAfter).toBe(loginsBefore);
  });

  it('fails queries with a connection error after close() and serves a new pool after restart()', async () => {
    const pool = await connect({ connectionTimeout: 1000 });
    expect((await pool.request().query('SELECT 1 AS [one]')).recordset).toEqual([{ one: 1 }]);
    await server.close();
    try {
      const failure: unknown = await pool
        .request()
        .query('SELECT 1 AS [one]')
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(Error);
      expect(failure).toSatisfy((error) => error instanceof mssql.ConnectionError || error instanceof mssql.RequestError);
      expect((failure as { code?: string }).code).toMatch(/^(ESOCKET|ECONNCLOSED|ENOTOPEN|ECONNRESET)$/u);
    } finally {
      await server.restart();
    }
    expect((await pool.request().query('SELECT 3 AS [three]')).recordset).toEqual([{ three: 3 }]);
    const fresh = await connect();
    expect((await fresh.request().query('SELECT 2 AS [two]')).recordset).toEqual([{ two: 2 }]);
  });

  it('logs each statement with its decoded parameters, for every parameter type mssql sends', async () => {
    const pool = await connect();
    const guid = '0e984725-c51c-4bf4-9960-e1c80e27aba0';
    const blob = Buffer.from('00ff10', 'hex');
    const request = pool
      .request()
      .input('text', mssql.NVarChar, 'é')
      .input('max', mssql.NVarChar(mssql.MAX), 'long')
      .input('ascii', mssql.VarChar(50), 'plain')
      .input('tiny', mssql.TinyInt, 7)
      .input('small', mssql.SmallInt, -300)
      .input('int', mssql.Int, 123_456)
      .input('big', mssql.BigInt, 9_007_199_254_740_993n)
      .input('bigSafe', mssql.BigInt, 42)
      .input('yes', mssql.Bit, true)
      .input('no', mssql.Bit, false)
      .input('float', mssql.Float, 1.25)
      .input('decimal', mssql.Decimal(10, 3), -12.345)
      .input('when2', mssql.DateTime2, new Date('2024-05-06T07:08:09.123Z'))
      .input('whenOffset', mssql.DateTimeOffset, new Date('2024-05-06T07:08:09.123Z'))
      .input('whenLegacy', mssql.DateTime, new Date('2024-05-06T07:08:09.123Z'))
      .input('day', mssql.Date, new Date('2024-05-06T00:00:00Z'))
      .input('bytes', mssql.VarBinary(50), blob)
      .input('bytesMax', mssql.VarBinary(mssql.MAX), blob)
      .input('guid', mssql.UniqueIdentifier, guid)
      .input('ntext', mssql.NText, 'nt')
      .input('nullText', mssql.NVarChar, null)
      .input('nullMax', mssql.NVarChar(mssql.MAX), null)
      .input('nullAscii', mssql.VarChar(50), null)
      .input('nullInt', mssql.Int, null)
      .input('nullBig', mssql.BigInt, null)
      .input('nullBit', mssql.Bit, null)
      .input('nullFloat', mssql.Float, null)
      .input('nullWhen', mssql.DateTime2, null)
      .input('nullOffset', mssql.DateTimeOffset, null)
      .input('nullBytes', mssql.VarBinary(mssql.MAX), null)
      .input('nullGuid', mssql.UniqueIdentifier, null);
    const result = await request.query('SELECT @int AS [int], @big AS [big], @yes AS [yes], @when2 AS [when2], @guid AS [guid], @bytes AS [bytes]');
    expect(result.recordset).toEqual([{ int: 123_456, big: '9007199254740993', yes: 1, when2: '2024-05-06T07:08:09.123Z', guid, bytes: blob }]);

    const logged = server.queries.at(-1);
    expect(logged?.sql).toBe('SELECT @int AS [int], @big AS [big], @yes AS [yes], @when2 AS [when2], @guid AS [guid], @bytes AS [bytes]');
    expect(logged?.parameters).toEqual({
      text: 'é',
      max: 'long',
      ascii: 'plain',
      tiny: 7,
      small: -300,
      int: 123_456,
      big: 9_007_199_254_740_993n,
      bigSafe: 42,
      yes: 1,
      no: 0,
      float: 1.25,
      decimal: -12.345,
      when2: '2024-05-06T07:08:09.123Z',
      whenOffset: '2024-05-06T07:08:09.123Z',
      // DATETIME counts 1/300 s: .123 is stored as .123333…, which rounds back to .123.
      whenLegacy: '2024-05-06T07:08:09.123Z',
      day: '2024-05-06',
      bytes: blob,
      bytesMax: blob,
      guid,
      ntext: 'nt',
      nullText: null,
      nullMax: null,
      nullAscii: null,
      nullInt: null,
      nullBig: null,
      nullBit: null,
      nullFloat: null,
      nullWhen: null,
      nullOffset: null,
      nullBytes: null,
      nullGuid: null,
    });
  });

  it('answers multi-statement batches with one recordset per SELECT', async () => {
    const pool = await connect();
    const result = await pool.batch('SET ANSI_WARNINGS ON; SELECT 1 AS [a]; UPDATE [users] SET [score] = [score] WHERE [id] = 1; SELECT [name] FROM [dbo].[users] ORDER BY [id];');
    const recordsets = result.recordsets as mssql.IRecordSet<unknown>[];
    expect(recordsets).toHaveLength(2);
    expect(recordsets[0]).toEqual([{ a: 1 }]);
    expect(recordsets[1]).toEqual([{ name: 'alice' }, { name: 'bob' }]);
    expect(result.rowsAffected).toEqual([1, 1, 2]);
  });
});

describe('TDS test server at the socket level', () => {
  let server: TdsServer;

  beforeAll(async () => {
    server = await startTdsServer();
  });

  afterAll(async () => {
    await server.close();
  });

  function packet(type: number, payload: Buffer): Buffer {
    const header = Buffer.alloc(8);
    header.writeUInt8(type, 0);
    header.writeUInt8(0x01, 1);
    header.writeUInt16BE(8 + payload.length, 2);
    header.writeUInt8(1, 6);
    return Buffer.concat([header, payload]);
  }

  /** Sends bytes (one write per chunk) and collects the reply until `done` says it is complete or the socket closes. */
  function exchange(chunks: readonly Buffer[], done: (reply: Buffer) => boolean): Promise<{ reply: Buffer; closed: boolean }> {
    return new Promise((resolve, reject) => {
      const socket: Socket = createConnection({ host: server.host, port: server.port });
      let reply = Buffer.alloc(0);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no reply within 2 s'));
      }, 2000);
      const finish = (closed: boolean): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ reply, closed });
      };
      socket.on('error', () => undefined);
      socket.on('close', () => {
        finish(true);
      });
      socket.on('data', (data: Buffer) => {
        reply = Buffer.concat([reply, data]);
        if (done(reply)) finish(false);
      });
      socket.on('connect', () => {
        void (async () => {
          for (const chunk of chunks) {
            socket.write(chunk);
            await new Promise((next) => setImmediate(next));
          }
        })();
      });
    });
  }

  const complete = (reply: Buffer): boolean => reply.length >= 8 && reply.length >= reply.readUInt16BE(2);

  it('reassembles a PRELOGIN that arrives one byte per TCP write and refuses encryption', async () => {
    const prelogin = packet(0x12, Buffer.from([0x01, 0x00, 0x06, 0x00, 0x01, 0xff, 0x00]));
    const bytes = [...prelogin].map((byte) => Buffer.from([byte]));
    const { reply, closed } = await exchange(bytes, complete);
    expect(closed).toBe(false);
    expect(reply.readUInt8(0)).toBe(0x04);
    expect(reply.readUInt8(1) & 0x01).toBe(0x01);
    const payload = reply.subarray(8);
    // Option table: find ENCRYPTION (0x01) and read its one-byte value.
    let offset = 0;
    let encryption: number | undefined;
    while (payload.readUInt8(offset) !== 0xff) {
      if (payload.readUInt8(offset) === 0x01) encryption = payload.readUInt8(payload.readUInt16BE(offset + 1));
      offset += 5;
    }
    expect(encryption).toBe(0x02);
  });

  it('acknowledges an ATTENTION with a DONE carrying the attention flag', async () => {
    const { reply } = await exchange([packet(0x06, Buffer.alloc(0))], complete);
    expect(reply.readUInt8(8)).toBe(0xfd);
    expect(reply.readUInt16LE(9) & 0x0020).toBe(0x0020);
  });

  it('drops a connection that sends garbage and keeps serving others', async () => {
    const garbage = Buffer.from([0x12, 0x01, 0x00, 0x02, 0xde, 0xad, 0xbe, 0xef]);
    expect((await exchange([garbage], () => false)).closed).toBe(true);
    const sqlBeforeLogin = packet(0x01, Buffer.from([4, 0, 0, 0]));
    expect((await exchange([sqlBeforeLogin], () => false)).closed).toBe(true);
    const truncatedLogin = packet(0x10, Buffer.from([0xff, 0xff, 0, 0]));
    expect((await exchange([truncatedLogin], () => false)).closed).toBe(true);

    const pool = new mssql.ConnectionPool(server.mssqlConfig);
    pool.on('error', () => undefined);
    await pool.connect();
    try {
      expect((await pool.request().query('SELECT 1 AS [one]')).recordset).toEqual([{ one: 1 }]);
    } finally {
      await pool.close();
    }
  });
});

describe('translateTsql', () => {
  const sqlite = (sql: string): (string | undefined)[] => translateTsql(sql).map((statement) => statement.sqlite);

  it('moves TOP to a LIMIT at the end of its own query expression', () => {
    expect(sqlite('SELECT TOP (@P2) [a] FROM [t] WHERE [a] > @P1 ORDER BY [a];')).toEqual(['SELECT [a] FROM [t] WHERE [a] > @P1 ORDER BY [a] LIMIT (@P2)']);
    expect(sqlite('SELECT DISTINCT TOP 5 a FROM t')).toEqual(['SELECT DISTINCT a FROM t LIMIT 5']);
    expect(sqlite('SELECT TOP (1) x FROM (SELECT TOP (3) x FROM t ORDER BY x) AS s')).toEqual(['SELECT x FROM (SELECT x FROM t ORDER BY x LIMIT (3)) AS s LIMIT (1)']);
  });

  it('translates OFFSET/FETCH, N literals, dbo, ]] escapes and T-SQL functions', () => {
    expect(sqlite('SELECT a FROM t ORDER BY a OFFSET @P1 ROWS FETCH NEXT @P2 ROWS ONLY')).toEqual(['SELECT a FROM t ORDER BY a LIMIT @P2 OFFSET @P1']);
    expect(sqlite("SELECT N'it''s' FROM [dbo].[t] JOIN dbo.u ON 1 = 1")).toEqual(["SELECT 'it''s' FROM [t] JOIN u ON 1 = 1"]);
    expect(sqlite('SELECT [a]]b] FROM t')).toEqual(['SELECT "a]b" FROM t']);
    expect(sqlite('SELECT ISNULL(LEN(a), 0), GETUTCDATE(), SCOPE_IDENTITY(), @@ROWCOUNT FROM t')).toEqual([
      "SELECT IFNULL(LENGTH(a), 0), strftime('%Y-%m-%dT%H:%M:%fZ','now'), last_insert_rowid(), changes() FROM t",
    ]);
  });

  it('splits on semicolons outside strings and comments, skips SET, and records parameters and counting', () => {
    const statements = translateTsql("SET NOCOUNT ON; SELECT ';' AS [x] -- ; not here\n; UPDATE t SET a = @P1 WHERE b = @P2 AND c = @P1;");
    expect(statements.map((statement) => statement.sqlite)).toEqual([undefined, "SELECT ';' AS [x] -- ; not here", 'UPDATE t SET a = @P1 WHERE b = @P2 AND c = @P1']);
    expect(statements.map((statement) => statement.countsRows)).toEqual([false, false, true]);
    expect(statements[2]?.parameterNames).toEqual(['P1', 'P2']);
  });
});
