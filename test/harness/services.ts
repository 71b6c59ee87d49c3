/**
 * What test files import: availability checks (filled in by global-setup.ts through vitest's
 * provide/inject) and per-run isolation on the real servers: throw-away databases, key prefixes
 * and private server processes. Every helper returns its own cleanup; call it in afterAll.
 */
import { describe, inject } from 'vitest';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import type { ServiceName, ServiceStatus, ServiceUrls } from './catalog.js';
import { randomName } from './process.js';

export type { ServiceName, ServiceStatus, ServiceUrls } from './catalog.js';
export { freePort, randomName } from './process.js';
export { startRedisServer, type RedisServerInstance } from './redis-server.js';
export { startSlapd, type SlapdInstance, type SlapdOptions, type SlapdUser } from './slapd.js';
export { sambaAvailability, startSambaAd, type AdBindError, type SambaAdInstance, type SambaAdOptions, type SambaAdUser } from './samba-ad.js';

export function serviceStatus(name: ServiceName): ServiceStatus {
  return inject('legacyIdpServices')[name];
}

export function serviceAvailable(name: ServiceName): boolean {
  return serviceStatus(name).available;
}

export function serviceUrls(): ServiceUrls {
  return inject('legacyIdpUrls');
}

/** describe() that is skipped (with the reason in its title) when the service is unavailable. */
export function describeWithService(name: ServiceName, title: string, fn: () => void): void {
  const status = serviceStatus(name);
  if (status.available) describe(title, fn);
  else describe.skip(`${title} [needs ${name}: ${status.reason}]`, fn);
}

export interface ThrowawayDatabase {
  /** Connection URL for the new database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database (ending leftover connections). Idempotent. */
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onPostgres(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serviceUrls().postgres, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** CREATE DATABASE test_<random> on the server from LEGACY_IDP_TEST_PG_URL. */
export async function createPostgresDatabase(): Promise<ThrowawayDatabase> {
  const name = randomName();
  // The name is random lowercase hex, so quoting it is enough (no injection possible).
  await onPostgres(`CREATE DATABASE "${name}"`);
  return {
    url: withDatabase(serviceUrls().postgres, name),
    name,
    drop: () => onPostgres(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function onMariadb(sql: string): Promise<void> {
  const connection = await createConnection({ uri: serviceUrls().mariadb, connectTimeout: 5000 });
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

/** CREATE DATABASE `test_<random>` on the server from LEGACY_IDP_TEST_MYSQL_URL. */
export async function createMariadbDatabase(): Promise<ThrowawayDatabase> {
  const name = randomName();
  await onMariadb(`CREATE DATABASE \`${name}\``);
  return {
    url: withDatabase(serviceUrls().mariadb, name),
    name,
    drop: () => onMariadb(`DROP DATABASE IF EXISTS \`${name}\``),
  };
}

export interface RedisKeyPrefix {
  readonly url: string;
  /** `test_<random>:`; put every key of the test under it. */
  readonly prefix: string;
  /** Deletes `prefix*` with SCAN + UNLINK (never FLUSHDB: other runs share the DB). Returns the count. */
  cleanup(): Promise<number>;
}

export function connectRedis(url: string): Redis {
  // Fail fast instead of retrying forever, so a dead server shows up as a test error.
  return new Redis(url, { connectTimeout: 5000, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
}

export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const redis = connectRedis(url);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export function createRedisKeyPrefix(): RedisKeyPrefix {
  const url = serviceUrls().redis;
  const prefix = `${randomName()}:`;
  return { url, prefix, cleanup: () => deleteKeysWithPrefix(url, prefix) };
}
