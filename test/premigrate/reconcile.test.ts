import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserStore } from '../../src/core/contracts.js';
import { createGraphClient, type GraphClient } from '../../src/graph/client.js';
import { buildLocalAccountUser, generateCompliantPassword } from '../../src/graph/index.js';
import { createHashRegistry } from '../../src/hashes/registry.js';
import { openCheckpoint } from '../../src/premigrate/checkpoint.js';
import { runPremigration } from '../../src/premigrate/engine.js';
import { graphSink } from '../../src/premigrate/graph-sink.js';
import { createMapper } from '../../src/premigrate/mapping.js';
import { reconcile } from '../../src/premigrate/reconcile.js';
import { sqlUserStore } from '../../src/stores/sql/sql-store.js';
import { cli } from '../cli/run-cli.js';
import { emulatorEndpoints } from '../graph/helpers.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';

/**
 * --reconcile with a store whose username is not the sign-in name the mapping gives the directory (a login name
 * in the store, the e-mail address in the directory, the default mapping). Every migrated user must count as in
 * the source: the comparison is with the mapping's sign-in names, not with the store's own lookup.
 */

const registry = createHashRegistry({ workers: false });
const hash = '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS';
const tenant = 'contoso.onmicrosoft.com';
let emulator: GraphEmulator;
let graph: GraphClient;
let dir: string;

beforeAll(async () => {
  emulator = await startGraphEmulator({ tenantDomain: tenant, writeQuota: null, resourceUnitQuota: null });
  graph = createGraphClient({ ...emulatorEndpoints(emulator), backoffBaseMs: 10, backoffMaxMs: 50 });
  dir = mkdtempSync(join(tmpdir(), 'legacy-idp-reconcile-'));
  const db = new Database(join(dir, 'legacy.db'));
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT, email TEXT, name TEXT, hash TEXT)');
  const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)');
  for (let i = 1; i <= 25; i++) insert.run(i, `jdoe${i}`, `JDoe${i}@legacy.example`, `J Doe ${i}`, hash);
  db.close();
});
afterAll(async () => {
  await emulator.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

const storeMapping = { subjectId: 'id', username: 'login', email: 'email', hash: 'hash', scheme: 'bcrypt', displayName: 'name' };
const mapping = { tenant, extensionAppId: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9' };
const map = createMapper(mapping);

async function openLegacy(): Promise<UserStore> {
  return sqlUserStore({ dialect: 'sqlite', connection: join(dir, 'legacy.db'), table: 'users', registry, mapping: storeMapping });
}

describe('reconcile with a store username that is not the sign-in name', () => {
  it('counts every migrated user as in the source, and still finds the users missing on either side', async () => {
    const store = await openLegacy();
    const checkpoint = await openCheckpoint(join(dir, 'journal.db'));
    const sink = graphSink({ graph });
    try {
      expect(await runPremigration({ source: store, map, sink, checkpoint })).toMatchObject({ created: 25, failed: 0 });
      // The store cannot find them by the directory's sign-in name: the old comparison called them all missing.
      expect(await store.get('jdoe1@legacy.example')).toBeNull();

      const clean = await reconcile({ source: store, map, graph, issuer: tenant, tempDir: dir });
      expect(clean).toMatchObject({ sourceUsers: 25, directoryUsers: 25, missingInDirectoryCount: 0, missingInSourceCount: 0, missingInSource: [], missingInDirectory: [] });

      // Drift: a directory user no legacy user maps to, one migrated user deleted in the directory.
      const stranger = await graph.createUser(buildLocalAccountUser({ tenant, issuerAssignedId: 'stranger@legacy.example', password: generateCompliantPassword() }));
      const victim = [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === 'JDoe7@legacy.example'));
      emulator.users.delete(victim?.id ?? '');
      const drift = await reconcile({ source: store, map, graph, issuer: tenant, tempDir: dir });
      expect(drift).toMatchObject({
        sourceUsers: 25,
        directoryUsers: 25,
        missingInDirectoryCount: 1,
        missingInDirectory: [{ subjectId: '7', signInName: 'JDoe7@legacy.example' }],
        missingInSourceCount: 1,
        missingInSource: [{ objectId: stranger.id, signInName: 'stranger@legacy.example' }],
      });
      // Its temporary index is gone.
      expect(readdirSync(dir).filter((name) => name.startsWith('legacy-idp-reconcile-'))).toEqual([]);
    } finally {
      await sink.close();
      checkpoint.close();
      await store.close?.();
    }
  });

  it('legacy-idp premigrate --reconcile exits 0 when nothing is missing', async () => {
    // The directory of the test above, with the deleted user back and the stranger gone.
    for (const user of [...emulator.users.values()]) if (user.identities.some((identity) => identity.issuerAssignedId === 'stranger@legacy.example')) emulator.users.delete(user.id);
    if ((await graph.findUserByIdentity({ issuer: tenant, issuerAssignedId: 'JDoe7@legacy.example' })) === null) {
      await graph.createUser(buildLocalAccountUser({ tenant, issuerAssignedId: 'JDoe7@legacy.example', password: generateCompliantPassword() }));
    }
    const config = join(dir, 'legacy-idp.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: { type: 'sql', dialect: 'sqlite', connection: 'legacy.db', table: 'users', mapping: storeMapping },
        premigrate: { mapping, sink: { type: 'graph', graph: emulatorEndpoints(emulator) } },
      }),
    );
    const run = await cli(['premigrate', '--config', config, '--reconcile']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ sourceUsers: 25, directoryUsers: 25, missingInDirectoryCount: 0, missingInSourceCount: 0 });
  });
});
