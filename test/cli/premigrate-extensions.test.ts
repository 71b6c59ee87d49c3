import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphClient } from '../../src/graph/index.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { emulatorEndpoints } from '../graph/helpers.js';
import { cli } from './run-cli.js';

/**
 * `legacy-idp premigrate --register-extensions` registers each extension attribute with the dataType the
 * mapping then writes. It used to register every `extension:` target as String while the mapping sent
 * numbers and booleans, which Graph refuses (the emulator does not check types, so this test compares them).
 */

const appId = '831374b3-bd50-41bf-aa54-263ec9e050fc';
const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-cli-extensions-'));
let emulator: GraphEmulator;

beforeAll(async () => {
  emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com', extensionsAppId: appId, writeQuota: null, resourceUnitQuota: null });
});
afterAll(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('premigrate --register-extensions', () => {
  it('registers what the mapping writes, and every value written fits its registered dataType', async () => {
    const db = new Database(join(dir, 'legacy.db'));
    // Column types as legacy tables have them: SQLite gives 0/1 for booleans, numbers in a text column, dates as text.
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, hash TEXT, scheme TEXT, loyalty INTEGER, vip INTEGER, since TEXT, tier)');
    const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run(1, 'u1@legacy.example', '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS', 'bcrypt', 12345, 1, '2019-05-01', 'gold');
    insert.run(2, 'u2@legacy.example', 'Clear-Legacy-Pass-2!', 'plaintext', 7, 0, '2020-01-02T03:04:05Z', 42);
    insert.run(3, 'u3@legacy.example', '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS', 'bcrypt', null, null, null, null);
    db.close();
    const config = join(dir, 'legacy-idp.json');
    writeFileSync(
      config,
      JSON.stringify({
        store: {
          type: 'sql',
          dialect: 'sqlite',
          connection: 'legacy.db',
          table: 'users',
          mapping: { subjectId: 'id', username: 'email', email: 'email', hash: 'hash', schemeField: 'scheme', attributes: { loyalty: 'loyalty', vip: 'vip', since: 'since', tier: 'tier' } },
        },
        premigrate: {
          mapping: {
            tenant: 'contoso.onmicrosoft.com',
            // Without hyphens: the mapping takes it, and so must the registration.
            extensionAppId: appId.replaceAll('-', ''),
            fields: { attributes: { loyalty: 'extension:loyaltyNumber:Integer', vip: 'extension:vip:Boolean', since: 'extension:memberSince:DateTime', tier: 'extension:tier' } },
          },
          sink: { type: 'graph', graph: { ...emulatorEndpoints(emulator), backoffBaseMs: 10, backoffMaxMs: 50 } },
          journal: 'journal.db',
          report: { json: 'report.json', csv: 'failures.csv' },
        },
      }),
    );

    const run = await cli(['premigrate', '--config', config, '--register-extensions']);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ created: 3, failed: 0 });

    const graph = createGraphClient({ ...emulatorEndpoints(emulator), maxRetries: 0 });
    const apps = await graph.request({ method: 'GET', path: `/applications?$filter=appId eq '${appId}'` });
    const appObjectId = (apps.body as { value: Array<{ id: string }> }).value[0]?.id ?? '';
    const listed = await graph.request({ method: 'GET', path: `/applications/${appObjectId}/extensionProperties` });
    const registered = new Map((listed.body as { value: Array<{ name: string; dataType: string }> }).value.map((property) => [property.name, property.dataType]));
    const prefix = `extension_${appId.replaceAll('-', '')}_`;
    expect(Object.fromEntries(registered)).toEqual({
      [`${prefix}requiresMigration`]: 'Boolean',
      [`${prefix}loyaltyNumber`]: 'Integer',
      [`${prefix}vip`]: 'Boolean',
      [`${prefix}memberSince`]: 'DateTime',
      [`${prefix}tier`]: 'String',
    });

    const fits: Record<string, (value: unknown) => boolean> = {
      Boolean: (value) => typeof value === 'boolean',
      Integer: (value) => Number.isInteger(value),
      String: (value) => typeof value === 'string',
      DateTime: (value) => typeof value === 'string' && new Date(value).toISOString() === value,
    };
    let written = 0;
    for (const user of emulator.users.values()) {
      for (const [key, value] of Object.entries(user).filter(([key]) => key.startsWith('extension_'))) {
        const dataType = registered.get(key);
        expect(dataType, `${key} written but not registered`).toBeDefined();
        expect(fits[dataType ?? '']?.(value), `${key} = ${JSON.stringify(value)} registered as ${String(dataType)}`).toBe(true);
        written += 1;
      }
    }
    // Users 1 and 2 carry all four attributes and the flag, user 3 the flag only.
    expect(written).toBe(11);
    const byEmail = (email: string) => [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === email));
    expect(byEmail('u2@legacy.example')).toMatchObject({ [`${prefix}tier`]: '42', [`${prefix}vip`]: false, [`${prefix}loyaltyNumber`]: 7, [`${prefix}memberSince`]: '2020-01-02T03:04:05.000Z' });
  }, 60_000);
});
