import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { MigrationWriteBack, ProfileSource } from '../../src/core/contracts.js';
import { createGraphClient } from '../../src/graph/client.js';
import { createHashRegistry } from '../../src/hashes/registry.js';
import { openCheckpoint } from '../../src/premigrate/checkpoint.js';
import { runPremigration, type PremigrateProgress } from '../../src/premigrate/engine.js';
import { registerExtensionProperties } from '../../src/premigrate/extensions.js';
import { graphSink } from '../../src/premigrate/graph-sink.js';
import { createMapper, type PremigrateMappingOptions } from '../../src/premigrate/mapping.js';
import { fileUserStore } from '../../src/stores/file/file-store.js';
import { ldapUserStore } from '../../src/stores/ldap/ldap-store.js';
import { sqlUserStore } from '../../src/stores/sql/sql-store.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { createPostgresDatabase, describeWithService, startSlapd, type SlapdInstance, type ThrowawayDatabase } from '../harness/services.js';

/**
 * Pre-migration from each kind of source the issue names, into the Graph emulator: a PostgreSQL table, a real
 * slapd directory (paged LDAP listing), and the Microsoft pre-migration sample's UsersData.json (clear-text
 * passwords carried over as they are).
 */

const registry = createHashRegistry({ workers: false });
let emulator: GraphEmulator;
let dir: string;

beforeAll(async () => {
  emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com' });
  dir = mkdtempSync(join(tmpdir(), 'legacy-idp-premigrate-sources-'));
});
afterAll(async () => {
  await emulator.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

const progress: PremigrateProgress[] = [];

async function migrate(source: ProfileSource, mapping: PremigrateMappingOptions, name: string, writeBack?: MigrationWriteBack) {
  const graph = createGraphClient({ tenantId: emulator.tenantId, clientId: emulator.clientId, clientSecret: emulator.clientSecret, authorityUrl: emulator.url, graphUrl: emulator.url });
  const sink = graphSink({ graph });
  const checkpoint = await openCheckpoint(join(dir, `${name}.db`));
  try {
    return await runPremigration({ source, map: createMapper(mapping), sink, checkpoint, ...(writeBack ? { writeBack } : {}), onProgress: (p) => progress.push(p), progressIntervalMs: 0 });
  } finally {
    await sink.close();
    checkpoint.close();
  }
}

const userWith = (issuerAssignedId: string) =>
  [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId.toLowerCase() === issuerAssignedId.toLowerCase()));

describe("the Microsoft sample's UsersData.json", () => {
  it('creates every user with the password the file holds, and no migration flag', async () => {
    const file = join(dir, 'UsersData.json');
    writeFileSync(
      file,
      JSON.stringify({
        userType: 'emailAddress',
        Users: [
          { signInName: 'ann@sample.example', displayName: 'Ann Sample', firstName: 'Ann', lastName: 'Sample', password: 'Sample-Pass-2024!', email: 'ann@sample.example' },
          { signInName: 'ben@sample.example', displayName: 'Ben Sample', firstName: 'Ben', lastName: 'Sample', password: 'Sample-Pass-2025!', email: 'ben@sample.example' },
        ],
      }),
    );
    const store = await fileUserStore({ path: file, preset: 'ms-sample', registry });
    try {
      const summary = await migrate(store, { tenant: 'contoso.onmicrosoft.com', passwords: { requiresMigrationAttribute: false } }, 'sample');
      expect(summary).toMatchObject({ created: 2, failed: 0, passwords: { recovered: 2, generated: 0 } });
      expect(userWith('ann@sample.example')).toMatchObject({ displayName: 'Ann Sample', givenName: 'Ann', surname: 'Sample', passwordProfile: { password: 'Sample-Pass-2024!' } });
    } finally {
      await store.close();
    }
  });
});

describe('extension attributes on the b2c-extensions-app', () => {
  it('registers the missing ones and leaves existing ones alone', async () => {
    const graph = createGraphClient({ tenantId: emulator.tenantId, clientId: emulator.clientId, clientSecret: emulator.clientSecret, authorityUrl: emulator.url, graphUrl: emulator.url });
    const appId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
    const first = await registerExtensionProperties(graph, appId, [{ name: 'requiresMigration', dataType: 'Boolean' }, { name: 'legacyId', dataType: 'String' }]);
    expect(first.registered).toEqual(['extension_0f1e2d3c4b5a49788695a4b3c2d1e0f9_requiresMigration', 'extension_0f1e2d3c4b5a49788695a4b3c2d1e0f9_legacyId']);
    const again = await registerExtensionProperties(graph, appId, [{ name: 'requiresMigration', dataType: 'Boolean' }]);
    expect(again).toEqual({ registered: [], existing: ['extension_0f1e2d3c4b5a49788695a4b3c2d1e0f9_requiresMigration'] });
    await expect(registerExtensionProperties(graph, '99999999-9999-4999-8999-999999999999', [])).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
  });
});

describe('write-back to the legacy store', () => {
  it("records each created user's object id and time in its row, after the create", async () => {
    // Not `writeback.db`: that is the journal's name (migrate() below), and a journal is never the legacy database.
    const file = join(dir, 'writeback-legacy.db');
    const db = new Database(file);
    db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, pw TEXT, migrated_at TEXT, entra_id TEXT)');
    for (let i = 1; i <= 5; i++) db.prepare('INSERT INTO people (id, email, pw) VALUES (?, ?, ?)').run(i, `wb${i}@legacy.example`, 'x-not-a-hash');
    db.close();
    const store = await sqlUserStore({
      dialect: 'sqlite',
      connection: file,
      table: 'people',
      registry,
      mapping: { subjectId: 'id', username: 'email', email: 'email', hash: 'pw' },
      writeBack: { migratedAtColumn: 'migrated_at', objectIdColumn: 'entra_id' },
    });
    try {
      const summary = await migrate(store, { tenant: 'contoso.onmicrosoft.com', passwords: { requiresMigrationAttribute: false } }, 'writeback', store as unknown as MigrationWriteBack);
      expect(summary).toMatchObject({ created: 5, writtenBack: 5 });
    } finally {
      await store.close();
    }
    const check = new Database(file, { readonly: true });
    try {
      for (const row of check.prepare('SELECT email, migrated_at, entra_id FROM people').all() as Array<{ email: string; migrated_at: string | null; entra_id: string | null }>) {
        expect(row.entra_id).toBe(userWith(row.email)?.id);
        expect(row.migrated_at).not.toBeNull();
      }
    } finally {
      check.close();
    }
  });
});

describeWithService('postgres', 'a PostgreSQL table', () => {
  let database: ThrowawayDatabase;
  beforeAll(async () => {
    database = await createPostgresDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('CREATE TABLE members (id BIGINT PRIMARY KEY, email TEXT, full_name TEXT, pw TEXT)');
    await client.query(`INSERT INTO members SELECT i, 'member' || i || '@pg.example', 'Member ' || i, '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS' FROM generate_series(1, 45) AS i`);
    await client.end();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('creates every member once, over several keyset pages, with generated passwords and the flag', async () => {
    const store = await sqlUserStore({ dialect: 'postgres', connection: database.url, table: 'members', registry, batchSize: 10, mapping: { subjectId: 'id', username: 'email', email: 'email', hash: 'pw', displayName: 'full_name' } });
    try {
      const extensionAppId = '11111111-2222-4333-8444-555555555555';
      const summary = await migrate(store, { tenant: 'contoso.onmicrosoft.com', extensionAppId }, 'postgres');
      expect(summary).toMatchObject({ created: 45, failed: 0, passwords: { recovered: 0, generated: 45 } });
      // The table counted up front: progress shows "n of 45" and an ETA.
      expect(progress.at(-1)).toMatchObject({ total: 45, etaSeconds: 0 });
      expect(userWith('member45@pg.example')).toMatchObject({ displayName: 'Member 45', [`extension_${extensionAppId.replaceAll('-', '')}_requiresMigration`]: true });
    } finally {
      await store.close();
    }
  });
});

describeWithService('slapd', 'a real OpenLDAP directory', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd();
  });
  afterAll(async () => {
    await slapd.stop();
  });

  it('creates every directory user, listed with paged results, as userName identities', async () => {
    const store = ldapUserStore({
      urls: [slapd.url],
      serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword },
      bind: { mode: 'search', baseDn: slapd.baseDn },
      profiles: { baseDn: `ou=people,${slapd.baseDn}`, pageSize: 2 },
    });
    try {
      const summary = await migrate(store, { tenant: 'contoso.onmicrosoft.com', signInType: 'userName', passwords: { requiresMigrationAttribute: false } }, 'ldap');
      expect(summary.failed).toBe(0);
      expect(summary.created).toBe(slapd.users.length);
      for (const user of slapd.users) expect(userWith(user.uid), user.uid).toBeDefined();
    } finally {
      await store.close?.();
    }
  });
});
