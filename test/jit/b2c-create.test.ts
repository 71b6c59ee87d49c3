import Database from 'better-sqlite3';
import bcrypt from 'bcryptjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import { createGraphClient } from '../../src/graph/index.js';
import { hashRegistryForTests } from './jit-fixture.js';
import { b2cHandler, type B2cHandlerOptions } from '../../src/jit/b2c.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import type { RecordUserStore } from '../../src/stores/record/record-store.js';
import { sqlUserStore } from '../../src/stores/sql/sql-store.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { emulatorEndpoints } from '../graph/helpers.js';

/**
 * B2C `create` mode (the jit-migration-v1 shape) end to end: a real SQLite legacy table with write-back, the
 * Graph client against the Graph emulator. The v1 readme's 9 cases, B2C's 3 tries per submit, throttling,
 * and a failing directory that must leave the legacy record untouched.
 */

const callerAuth: CallerAuthenticator = () => Promise.resolve({ ok: true, identity: { method: 'api-key' } });
const registry = hashRegistryForTests();
let emulator: GraphEmulator;
let dir: string;
let file: string;
let store: RecordUserStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'legacy-idp-b2c-create-'));
  file = join(dir, 'legacy.db');
  const db = new Database(file);
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, display_name TEXT, given_name TEXT, family_name TEXT, hash TEXT, migrated_at TEXT, object_id TEXT)');
  const insert = db.prepare('INSERT INTO users (id, email, display_name, given_name, family_name, hash) VALUES (?, ?, ?, ?, ?, ?)');
  insert.run(1, 'alice@contoso.com', 'Alice Liddell', 'Alice', 'Liddell', bcrypt.hashSync('Legacy-Pass-1', 4));
  insert.run(2, 'bob@contoso.com', 'Bob Builder', 'Bob', 'Builder', bcrypt.hashSync('Legacy-Pass-2', 4));
  insert.run(3, 'carol@contoso.com', 'Carol', null, null, bcrypt.hashSync('Legacy-Pass-3', 4));
  insert.run(4, 'weak@contoso.com', 'Weak', null, null, bcrypt.hashSync('abc', 4));
  db.close();
  store = await sqlUserStore({
    dialect: 'sqlite',
    connection: file,
    table: 'users',
    registry,
    mapping: { subjectId: 'id', username: 'email', email: 'email', hash: 'hash', displayName: 'display_name', givenName: 'given_name', surname: 'family_name', attributes: { migratedAt: 'migrated_at' } },
    writeBack: { migratedAtColumn: 'migrated_at', objectIdColumn: 'object_id' },
  });
});

beforeAll(async () => {
  emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com' });
});

afterEach(() => {
  emulator.setFaults({});
});

afterAll(async () => {
  await store.close();
  await emulator.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

function legacyRow(id: number): { migrated_at: string | null; object_id: string | null; hash: string } {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT migrated_at, object_id, hash FROM users WHERE id = ?').get(id) as { migrated_at: string | null; object_id: string | null; hash: string };
  } finally {
    db.close();
  }
}

function handler(mode: B2cHandlerOptions['mode'] = 'create', overrides: Partial<B2cHandlerOptions> = {}) {
  const graph = createGraphClient({
    ...emulatorEndpoints(emulator),
    maxRetries: 3,
    // Throttling waits are the emulator's fractional Retry-After; keep them short and real.
    backoffBaseMs: 10,
    backoffMaxMs: 50,
  });
  return b2cHandler({
    mode,
    authenticator: createAuthenticator({ verifier: store, profiles: store, lockout: createLockoutPolicy({ ip: false }) }),
    profiles: store,
    callerAuth,
    ...(mode === 'create' ? { create: { graph, tenant: 'contoso.onmicrosoft.com', writeBack: store, disableStrongPassword: true } } : {}),
    ...overrides,
  } as B2cHandlerOptions);
}

async function call(target: ReturnType<typeof b2cHandler>, body: unknown) {
  const response = await target(new Request('https://jit.example/api', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const usersWith = (email: string) => [...emulator.users.values()].filter((user) => user.identities.some((identity) => identity.issuerAssignedId === email));

describe('B2C jit-migration-v1 matrix (create, signup-check, reset-discovery)', () => {
  it('1. sign-in with a migration account creates the user, then records the migration; the legacy hash stays', async () => {
    const before = legacyRow(1);
    const answer = await call(handler(), { signInName: 'alice@contoso.com', password: 'Legacy-Pass-1' });
    expect(answer.status).toBe(200);
    const created = usersWith('alice@contoso.com');
    expect(created).toHaveLength(1);
    expect(answer.body['objectId']).toBe(created[0]?.id);
    expect(created[0]).toMatchObject({
      displayName: 'Alice Liddell',
      givenName: 'Alice',
      surname: 'Liddell',
      passwordProfile: { password: 'Legacy-Pass-1', forceChangePasswordNextSignIn: false },
      passwordPolicies: 'DisablePasswordExpiration, DisableStrongPassword',
      identities: [{ signInType: 'emailAddress', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: 'alice@contoso.com' }],
    });
    const after = legacyRow(1);
    expect(after.object_id).toBe(created[0]?.id);
    expect(after.migrated_at).not.toBeNull();
    expect(after.hash).toBe(before.hash);
  });

  it('2. sign-in with an account that exists only in the directory: 200 with no claims (B2C signs in itself)', async () => {
    expect(await call(handler(), { signInName: 'directory-only@contoso.com', password: 'Whatever-1' })).toEqual({ status: 200, body: {} });
  });

  it('3. sign-in with an unknown account: 200 with no claims, and nothing created', async () => {
    const count = emulator.users.size;
    expect((await call(handler(), { signInName: 'nobody@contoso.com', password: 'Whatever-1' })).status).toBe(200);
    expect(emulator.users.size).toBe(count);
  });

  it('4. sign-up with a migration account: 409 user exists', async () => {
    const answer = await call(handler('signup-check'), { signInName: 'bob@contoso.com' });
    expect(answer.status).toBe(409);
    expect(answer.body['userMessage']).toMatch(/already exists/u);
  });

  it('5. sign-up with an account that exists only in the directory: 200 (B2C refuses it itself)', async () => {
    expect((await call(handler('signup-check'), { signInName: 'directory-only@contoso.com' })).status).toBe(200);
  });

  it('6. sign-up with a new account: 200', async () => {
    expect((await call(handler('signup-check'), { signInName: 'brand-new@contoso.com' })).status).toBe(200);
  });

  it('7. password reset for a migration account: 200', async () => {
    expect((await call(handler('reset-discovery'), { signInName: 'bob@contoso.com' })).status).toBe(200);
  });

  it('8. password reset for an existing directory account (objectId found): 200', async () => {
    expect((await call(handler('reset-discovery'), { signInName: 'directory-only@contoso.com', objectId: '6f0e1a1b-0000-4000-8000-000000000008' })).status).toBe(200);
  });

  it('9. password reset for an unknown account: 409 not found', async () => {
    const answer = await call(handler('reset-discovery'), { signInName: 'nobody@contoso.com' });
    expect(answer.status).toBe(409);
    expect(answer.body['userMessage']).toMatch(/could not be found/u);
  });
});

describe('B2C create: idempotency and failures', () => {
  it("B2C's three tries of one submit create one user and give the same answer each time", async () => {
    const target = handler();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await call(target, { signInName: 'bob@contoso.com', password: 'Legacy-Pass-2' }));
    expect(usersWith('bob@contoso.com')).toHaveLength(1);
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]?.status).toBe(200);
    // A new process (no memory of the first create) finds the user through the ObjectConflict answer.
    const again = await call(handler(), { signInName: 'bob@contoso.com', password: 'Legacy-Pass-2' });
    expect(again).toEqual(answers[0]);
    expect(usersWith('bob@contoso.com')).toHaveLength(1);
    expect(emulator.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/users')).length).toBeGreaterThanOrEqual(2);
  });

  it('Graph answering 429 then 201 is a success', async () => {
    const posts = emulator.requests.length;
    emulator.setFaults({ throttle: { on: [emulator.summary().requestCount + 1], retryAfter: '0.05' } });
    const answer = await call(handler(), { signInName: 'carol@contoso.com', password: 'Legacy-Pass-3' });
    expect(answer.status).toBe(200);
    expect(usersWith('carol@contoso.com')).toHaveLength(1);
    expect(emulator.requests.slice(posts).some((request) => request.status === 429)).toBe(true);
  });

  it('a directory that keeps failing leaves the legacy record untouched and answers the unavailable text', async () => {
    const before = legacyRow(4);
    emulator.setFaults({ unavailable: { every: 1 } });
    const answer = await call(handler(), { signInName: 'weak@contoso.com', password: 'abc' });
    expect(answer.status).toBe(409);
    expect(answer.body['userMessage']).toMatch(/cannot check your password right now/u);
    expect(legacyRow(4)).toEqual(before);
    expect(usersWith('weak@contoso.com')).toHaveLength(0);
  });

  it('a wrong password creates nothing', async () => {
    const count = emulator.users.size;
    expect((await call(handler(), { signInName: 'weak@contoso.com', password: 'not-it' })).status).toBe(409);
    expect(emulator.users.size).toBe(count);
  });
});
