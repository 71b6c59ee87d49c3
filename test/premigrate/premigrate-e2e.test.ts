import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from '../harness/graph-emulator.js';

/**
 * `legacy-idp premigrate` as an operator runs it (a child process) against the Graph emulator: throttling
 * inside $batch, transient 503s, a token that expires mid-run; killed with SIGKILL at ten random points and
 * restarted each time, it must end with exactly one directory user per legacy user and a report that says so.
 */

const extensionAppId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const extensionFlag = `extension_${extensionAppId.replaceAll('-', '')}_requiresMigration`;

interface Workspace {
  dir: string;
  config: string;
  emails: string[];
}

/** A SQLite legacy table: most users with bcrypt-shaped hashes (not recoverable), every 10th with a clear-text password. */
function makeWorkspace(emulator: GraphEmulator, users: number, extra: { noEmail?: boolean } = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-premigrate-'));
  const db = new Database(join(dir, 'legacy.db'));
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, hash TEXT, scheme TEXT)');
  const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)');
  const emails: string[] = [];
  db.transaction(() => {
    for (let i = 1; i <= users; i++) {
      const email = `user${i}@legacy.example`;
      emails.push(email);
      const clear = i % 10 === 0;
      insert.run(i, email, `User ${i}`, clear ? `Clear-Legacy-Pass-${i}!` : '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS', clear ? 'plaintext' : 'bcrypt');
    }
    // A sign-in name Graph would refuse as an emailAddress identity: the mapping fails this user.
    if (extra.noEmail) insert.run(users + 1, 'not-an-email', 'No Email', '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS', 'bcrypt');
  })();
  db.close();
  const config = {
    store: {
      type: 'sql',
      dialect: 'sqlite',
      connection: 'legacy.db',
      table: 'users',
      mapping: { subjectId: 'id', username: 'email', email: 'email', hash: 'hash', schemeField: 'scheme', displayName: 'name' },
    },
    premigrate: {
      mapping: { tenant: 'contoso.onmicrosoft.com', extensionAppId },
      sink: {
        type: 'graph',
        graph: {
          tenantId: emulator.tenantId,
          clientId: emulator.clientId,
          clientSecret: { env: 'E2E_GRAPH_SECRET' },
          authorityUrl: emulator.url,
          graphUrl: emulator.url,
          backoffBaseMs: 20,
          backoffMaxMs: 200,
        },
      },
      journal: 'journal.db',
      report: { json: 'report.json', csv: 'failures.csv' },
    },
  };
  writeFileSync(join(dir, 'legacy-idp.json'), JSON.stringify(config, null, 2));
  return { dir, config: join(dir, 'legacy-idp.json'), emails };
}

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

function premigrate(workspace: Workspace, emulator: GraphEmulator, args: string[] = []): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'premigrate', '--config', workspace.config, ...args], {
    env: { ...process.env, E2E_GRAPH_SECRET: emulator.clientSecret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => { resolve(code); })), stdout: () => stdout, stderr: () => stderr };
}

const localIds = (emulator: GraphEmulator): string[] =>
  [...emulator.users.values()].flatMap((user) => user.identities.filter((identity) => identity.signInType === 'emailAddress').map((identity) => identity.issuerAssignedId));

describe('legacy-idp premigrate against the Graph emulator', () => {
  let emulator: GraphEmulator;
  const faults: GraphEmulatorOptions['faults'] = {
    // Per-item 429s inside $batch and whole-request 503s, both with fractional Retry-After.
    throttle: { every: 7, retryAfter: '0.05' },
    unavailable: { every: 11, retryAfter: '0.02' },
  };
  beforeAll(async () => {
    // Tokens die after 25 Graph requests: the client must fetch new ones mid-run.
    emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com', tokenMaxUses: 25, faults });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('a dry run maps and checks everything and creates nothing', async () => {
    const workspace = makeWorkspace(emulator, 30, { noEmail: true });
    try {
      const run = premigrate(workspace, emulator, ['--dry-run']);
      expect(await run.exited, run.stderr()).toBe(1);
      const summary = JSON.parse(run.stdout()) as { dryRun: boolean; wouldCreate: number; failed: number; passwords: { recovered: number; generated: number } };
      expect(summary).toMatchObject({ dryRun: true, wouldCreate: 30, failed: 1, passwords: { recovered: 3, generated: 27 } });
      expect(emulator.users.size).toBe(0);
    } finally {
      rmSync(workspace.dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('killed with SIGKILL at ten random points and restarted, creates every user exactly once', async () => {
    const users = 400;
    const workspace = makeWorkspace(emulator, users);
    const createdBefore = emulator.summary().createdCount;
    try {
      const targets = Array.from({ length: 10 }, () => Math.floor(Math.random() * (users - 20)) + 5).sort((a, b) => a - b);
      for (const target of targets) {
        const run = premigrate(workspace, emulator);
        // Kill once the directory holds `target` new users (or the run ended by itself first).
        const reached = new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (emulator.summary().createdCount - createdBefore >= target) {
              clearInterval(timer);
              resolve();
            }
          }, 5);
          void run.exited.then(() => {
            clearInterval(timer);
            resolve();
          });
        });
        await reached;
        run.child.kill('SIGKILL');
        await run.exited;
      }
      const last = premigrate(workspace, emulator);
      expect(await last.exited, last.stderr().slice(-2000)).toBe(0);

      const ids = localIds(emulator).filter((id) => id.endsWith('@legacy.example'));
      expect(ids).toHaveLength(users);
      expect(new Set(ids).size).toBe(users);
      expect([...ids].sort()).toEqual([...workspace.emails].sort());
      const report = JSON.parse(readFileSync(join(workspace.dir, 'report.json'), 'utf8')) as { summary: { journal: { created: number; existed: number; failed: number } }; failures: unknown[] };
      expect(report.summary.journal).toEqual({ created: users, existed: 0, failed: 0 });
      expect(report.failures).toEqual([]);
      // Recovered passwords go over as they were; the others got a random one and the requiresMigration flag.
      const user10 = [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === 'user10@legacy.example'));
      expect(user10?.['passwordProfile']).toMatchObject({ password: 'Clear-Legacy-Pass-10!' });
      expect(user10?.[extensionFlag]).toBe(false);
      const user11 = [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === 'user11@legacy.example'));
      expect(user11?.[extensionFlag]).toBe(true);
      expect(emulator.summary().throttledCount).toBeGreaterThan(0);
    } finally {
      rmSync(workspace.dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('records refused users in the report and CSV, exits 1, and --reconcile lists users missing on either side', async () => {
    emulator.setFaults({});
    const workspace = makeWorkspace(emulator, 12, { noEmail: true });
    // Names the fixture emails would clash with: another workspace's users are already in the emulator.
    try {
      const run = premigrate(workspace, emulator, ['--register-extensions']);
      expect(await run.exited, run.stderr().slice(-2000)).toBe(1);
      // The requiresMigration flag was registered on the b2c-extensions-app before the users were written.
      expect(emulator.extensionProperties()).toContain(extensionFlag);
      expect(run.stderr()).toMatch(/extension attributes registered: extension_/u);
      const csv = readFileSync(join(workspace.dir, 'failures.csv'), 'utf8').trim().split('\r\n');
      expect(csv[0]).toBe('subjectId,signInName,code,retryable,reason');
      expect(csv).toHaveLength(2);
      expect(csv[1]).toMatch(/^13,/u);
      expect(readFileSync(join(workspace.dir, 'report.json'), 'utf8')).not.toMatch(/Clear-Legacy-Pass/u);

      // A second run resumes after the last user: it reads and creates nobody, and still reports the failure.
      const again = premigrate(workspace, emulator);
      expect(await again.exited).toBe(1);
      expect(JSON.parse(again.stdout())).toMatchObject({ created: 0, listed: 0, journal: { failed: 1 } });
      // --retry-failed reads the source from the start: settled users are skipped, the failure is tried again.
      const retry = premigrate(workspace, emulator, ['--retry-failed']);
      expect(await retry.exited).toBe(1);
      expect(JSON.parse(retry.stdout())).toMatchObject({ created: 0, listed: 13, skipped: 12, failed: 1 });

      // Drift on both sides: one migrated user deleted in the directory, one directory user unknown to the store.
      const victim = [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === 'user5@legacy.example'));
      if (victim) emulator.users.delete(victim.id);
      const reconcile = premigrate(workspace, emulator, ['--reconcile']);
      expect(await reconcile.exited, reconcile.stderr().slice(-2000)).toBe(1);
      const result = JSON.parse(reconcile.stdout()) as { missingInDirectory: Array<{ signInName: string }>; missingInSource: Array<{ signInName: string }> };
      expect(result.missingInDirectory.map((entry) => entry.signInName)).toContain('user5@legacy.example');
      // The users of the crash test's workspace are in the directory but not in this workspace's table.
      expect(result.missingInSource.length).toBeGreaterThan(0);
    } finally {
      rmSync(workspace.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
