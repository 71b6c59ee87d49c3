import { inspect } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { driverRefusal } from '../../../src/core/driver-refusal.js';
import { isLegacyIdpError, type LegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore, type SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';

/**
 * Connection options a driver refuses are config errors raised when the store is built, never a store that is
 * "down" on every sign-in, and never a driver error that carries the URL (docs/errors.md): mysql2's malformed
 * URL is a TypeError whose `input` holds the whole URL, password included; pg and mssql accept anything until
 * their first connection.
 */

const canary = 'S3cret-Pw-canary';
const mapping = { subjectId: 'id', username: 'login', hash: 'pw', scheme: 'bcrypt' } as const;

async function refusal(options: SqlStoreOptions): Promise<LegacyIdpError> {
  let store: Awaited<ReturnType<typeof sqlUserStore>> | undefined;
  try {
    store = await sqlUserStore(options);
  } catch (error) {
    if (isLegacyIdpError(error)) return error;
    throw error;
  }
  await store.close();
  throw new Error(`sqlUserStore(${options.dialect}) built a store from options its driver refuses`);
}

/** Everything a logger or serializer could reach: JSON, and util.inspect of hidden fields and causes. */
function everyRendering(error: unknown): string {
  return [JSON.stringify(error), JSON.stringify((error as Error).cause), inspect(error, { depth: 10, showHidden: true }), (error as Error).stack].join('\n');
}

describe('sql store: connection options the driver refuses', () => {
  it('a malformed MySQL URL is ERR_LEGACY_IDP_CONFIG_INVALID without the URL or its password', async () => {
    const error = await refusal({ dialect: 'mysql', connection: `mysql://root:${canary}@db.internal:33o6/wordpress`, preset: 'wordpress' });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(error.path).toBe('connection');
    expect(error.message).toMatch(/mysql2 driver refused `connection` \(TypeError ERR_INVALID_URL/u);
    const rendered = everyRendering(error);
    expect(rendered).not.toContain(canary);
    expect(rendered).not.toContain('db.internal:33o6');
    // The cause is a copy of the driver's error, without the `input` that held the URL.
    expect(error.cause).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_URL' });
    expect(Object.keys(error.cause as object)).not.toContain('input');
  });

  it('a malformed PostgreSQL URL is refused when the store is built, not reported as a server that is down', async () => {
    const error = await refusal({ dialect: 'postgres', connection: `postgres://app:${canary}@127.0.0.1:54x2/app`, table: 'users', mapping });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(error.path).toBe('connection');
    expect(error.message).toContain('pg driver refused `connection`');
    expect(everyRendering(error)).not.toContain(canary);
  });

  it('a well-formed PostgreSQL URL still builds a store without connecting (the server is reached on first use)', async () => {
    const registry = createHashRegistry({ workers: false });
    const store = await sqlUserStore({ dialect: 'postgres', connection: `postgres://app:${canary}@127.0.0.1:1/app`, table: 'users', mapping, registry, connectTimeoutMs: 500 });
    try {
      await expect(store.get('alice')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_BACKEND_UNAVAILABLE' });
    } finally {
      await store.close();
      await registry.close();
    }
  });

  it('an mssql connection that names no server (a URL, which mssql does not parse) is a config error', async () => {
    const error = await refusal({ dialect: 'mssql', connection: `mssql://sa:${canary}@db.internal:1433/app`, table: 'users', mapping });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(error.path).toBe('connection');
    expect(error.message).toContain('names no server');
    expect(everyRendering(error)).not.toContain(canary);
  });

  it('a closed better-sqlite3 client is a config error naming `client`', async () => {
    const database = new Database(':memory:');
    database.close();
    const error = await refusal({ dialect: 'sqlite', client: database, table: 'users', mapping });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect(error.path).toBe('client');
  });
});

describe('driverRefusal', () => {
  const driverError = (message: string): Error => Object.assign(new TypeError(message), { code: 'ERR_X', input: `whole input ${canary}` });

  it('withholds a driver message that quotes a secret of the connection string', () => {
    for (const connection of [
      `Server=db;User Id=sa;Password=${canary};Database=app`,
      `Server=db;User Id=sa;Password={${canary}};Database=app`,
      `postgres://app@db/app?password=${canary}`,
      `mongodb://admin:${canary}@db/app`,
      `mongodb://admin:${encodeURIComponent(`${canary}/@`)}@db/app`,
      { host: 'db', user: 'sa', password: canary },
      { authentication: { type: 'default', options: { userName: 'sa', password: canary } } },
    ]) {
      const secret = typeof connection === 'string' && connection.includes('%') ? `${canary}/@` : canary;
      const error = driverRefusal('sql store options', 'driver', driverError(`login for sa with ${secret} refused`), { path: 'connection', connection });
      expect(error.message).toBe('sql store options: the driver driver refused `connection` (TypeError ERR_X)');
      expect(everyRendering(error)).not.toContain(canary);
    }
  });

  it('keeps a driver message that quotes no secret, with URLs in it replaced', () => {
    const error = driverRefusal('mongo store options', 'mongodb', driverError('Unable to parse mongodb://db:27o17 with URL'), {
      path: 'uri',
      connection: `mongodb://admin:${canary}@db:27o17/app`,
    });
    expect(error.message).toBe('mongo store options: the mongodb driver refused `uri` (TypeError ERR_X: Unable to parse <url> with URL)');
    expect(error.path).toBe('uri');
    expect((error.cause as Error).message).toBe('Unable to parse <url> with URL');
    expect(everyRendering(error)).not.toContain(canary);
  });
});
