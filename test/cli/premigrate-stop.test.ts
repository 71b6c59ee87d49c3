import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';

/**
 * `legacy-idp premigrate` stopped by SIGTERM (SIGINT and SIGHUP take the same path) as an operator or a service
 * manager stops it: no further user is read, the writes already sent finish and are recorded (none left in the
 * journal's in-flight table), the summary and the report are written, and the exit status says "stopped, run
 * again" (75). A stop whose wait runs out (shutdownTimeoutMs) leaves the unanswered users in flight; the next run
 * confirms them in the directory. Either way the resume ends with every user exactly once.
 */

const hash = '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS';
const extensionAppId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const stoppedStatus = 75;

interface Workspace {
  dir: string;
  config: string;
}

function workspace(users: number, sink: Record<string, unknown>, extra: Record<string, unknown> = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-premigrate-stop-'));
  const db = new Database(join(dir, 'legacy.db'));
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, hash TEXT, migrated INTEGER, object_id TEXT)');
  const insert = db.prepare('INSERT INTO users (id, email, name, hash) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= users; i++) insert.run(i, `stop${i}@legacy.example`, `User ${i}`, hash);
  })();
  db.close();
  const config = {
    store: {
      type: 'sql',
      dialect: 'sqlite',
      connection: 'legacy.db',
      table: 'users',
      mapping: { subjectId: 'id', username: 'email', email: 'email', hash: 'hash', scheme: 'bcrypt', displayName: 'name' },
      writeBack: { migratedFlagColumn: 'migrated', objectIdColumn: 'object_id' },
    },
    premigrate: { mapping: { tenant: 'contoso.onmicrosoft.com', extensionAppId }, sink, journal: 'journal.db', report: { json: 'report.json', csv: 'failures.csv' }, writeBack: true, ...extra },
  };
  writeFileSync(join(dir, 'legacy-idp.json'), JSON.stringify(config));
  return { dir, config: join(dir, 'legacy-idp.json') };
}

const graphSinkOf = (emulator: GraphEmulator) => ({
  type: 'graph',
  graph: { tenantId: emulator.tenantId, clientId: emulator.clientId, clientSecret: { env: 'STOP_GRAPH_SECRET' }, authorityUrl: emulator.url, graphUrl: emulator.url, backoffBaseMs: 20, backoffMaxMs: 200 },
  pacer: { writesPerWindow: 100_000, windowMs: 1000, resourceUnitsPerWindow: 10_000_000, resourceUnitWindowMs: 1000 },
});

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

function premigrate(ws: Workspace, secret = 'unused'): Run & { child: ChildProcessByStdio<null, Readable, Readable> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'premigrate', '--config', ws.config], {
    env: { ...process.env, STOP_GRAPH_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => { resolve(code); })), stdout: () => stdout, stderr: () => stderr };
}

async function until(ready: () => boolean, run: Run): Promise<void> {
  const state = { ended: false };
  void run.exited.then(() => {
    state.ended = true;
  });
  while (!ready()) {
    if (state.ended) throw new Error(`the run ended before the stop: ${run.stderr().slice(-500)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function journalOf(ws: Workspace): { counts: Record<string, number>; inflightUsers: number } {
  const db = new Database(join(ws.dir, 'journal.db'), { readonly: true });
  try {
    const counts = Object.fromEntries((db.prepare('SELECT status, COUNT(*) AS n FROM journal GROUP BY status').all() as Array<{ status: string; n: number }>).map((row) => [row.status, row.n]));
    const inflightUsers = (db.prepare('SELECT items FROM inflight').pluck().all() as string[]).reduce((sum, items) => sum + (JSON.parse(items) as unknown[]).length, 0);
    return { counts, inflightUsers };
  } finally {
    db.close();
  }
}

const migratedRows = (ws: Workspace): number => {
  const db = new Database(join(ws.dir, 'legacy.db'), { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM users WHERE migrated = 1').pluck().get() as number;
  } finally {
    db.close();
  }
};

describe('legacy-idp premigrate stopped by a signal', () => {
  let emulator: GraphEmulator;
  const workspaces: Workspace[] = [];
  beforeAll(async () => {
    emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com', writeQuota: null, resourceUnitQuota: null });
  });
  afterAll(async () => {
    await emulator.close();
    for (const ws of workspaces) rmSync(ws.dir, { recursive: true, force: true });
  });

  const users = (prefix: string) => [...emulator.users.values()].filter((user) => user.identities.some((identity) => identity.issuerAssignedId.startsWith(prefix)));

  it('SIGTERM: the batches in flight finish and are recorded, the summary and report are written, exit 75; the resume finishes', async () => {
    emulator.setFaults({ delay: { every: 1, ms: 150 } });
    const ws = workspace(600, graphSinkOf(emulator));
    workspaces.push(ws);
    const before = emulator.users.size;
    const run = premigrate(ws, emulator.clientSecret);
    await until(() => emulator.users.size - before >= 40, run);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr().slice(-1000)).toBe(stoppedStatus);
    expect(run.stderr()).toMatch(/premigrate: stopping: no further user is read/u);
    const summary = JSON.parse(run.stdout()) as { stopped?: boolean; created: number; unconfirmed?: number; journal: { created: number }; writeBackPending: number };
    expect(summary).toMatchObject({ stopped: true, failed: 0, writeBackPending: 0 });
    expect(summary.unconfirmed).toBeUndefined();
    // Nothing left in flight: every user the directory got is recorded, and written back.
    const journal = journalOf(ws);
    expect(journal.inflightUsers).toBe(0);
    expect(journal.counts['created']).toBe(emulator.users.size - before);
    expect(summary.journal.created).toBe(journal.counts['created']);
    expect(migratedRows(ws)).toBe(journal.counts['created']);
    expect(summary.created).toBeLessThan(600);
    expect(JSON.parse(readFileSync(join(ws.dir, 'report.json'), 'utf8'))).toMatchObject({ summary: { stopped: true }, failures: [] });

    emulator.setFaults({});
    const resumed = premigrate(ws, emulator.clientSecret);
    expect(await resumed.exited, resumed.stderr().slice(-1000)).toBe(0);
    expect(JSON.parse(resumed.stdout())).toMatchObject({ confirmedAfterCrash: 0, journal: { created: 600, failed: 0 } });
    expect(JSON.parse(resumed.stdout())).not.toHaveProperty('stopped');
    expect(users('stop')).toHaveLength(600);
    expect(migratedRows(ws)).toBe(600);
  }, 120_000);

  it('a stop whose wait runs out leaves the unanswered users in flight, still writes the summary, and the next run confirms them', async () => {
    // A directory without the first test's users.
    for (const user of users('stop')) emulator.users.delete(user.id);
    emulator.setFaults({ delay: { every: 1, ms: 150 } });
    const ws = workspace(600, graphSinkOf(emulator), { shutdownTimeoutMs: 100 });
    workspaces.push(ws);
    const run = premigrate(ws, emulator.clientSecret);
    await until(() => users('stop').length >= 40, run);
    // From now on every answer takes 3 s: far past the stop's 100 ms.
    emulator.setFaults({ delay: { every: 1, ms: 3000 } });
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr().slice(-1000)).toBe(stoppedStatus);
    const summary = JSON.parse(run.stdout()) as { stopped?: boolean; unconfirmed?: number };
    expect(summary.stopped).toBe(true);
    expect(summary.unconfirmed).toBeGreaterThan(0);
    expect(journalOf(ws).inflightUsers).toBe(summary.unconfirmed);

    emulator.setFaults({});
    const resumed = premigrate(ws, emulator.clientSecret);
    expect(await resumed.exited, resumed.stderr().slice(-1000)).toBe(0);
    expect(JSON.parse(resumed.stdout())).toMatchObject({ journal: { created: 600, failed: 0 } });
    expect(journalOf(ws).inflightUsers).toBe(0);
    expect(users('stop')).toHaveLength(600);
    expect(migratedRows(ws)).toBe(600);
  }, 120_000);

  it('SIGTERM with the JSONL sink: its writes finish, summary and report, exit 75, and the resume writes each user once', async () => {
    // No write-back: one UPDATE per user would be most of the time.
    const ws = workspace(30_000, { type: 'jsonl', path: 'out.jsonl', redactPasswords: true }, { writeBack: false });
    workspaces.push(ws);
    const out = join(ws.dir, 'out.jsonl');
    const run = premigrate(ws);
    await until(() => existsSync(out) && statSync(out).size > 500_000, run);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr().slice(-1000)).toBe(stoppedStatus);
    expect(JSON.parse(run.stdout())).toMatchObject({ stopped: true, failed: 0 });
    expect(existsSync(join(ws.dir, 'report.json'))).toBe(true);
    const journal = journalOf(ws);
    expect(journal.inflightUsers).toBe(0);
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(journal.counts['created'] ?? -1);

    const resumed = premigrate(ws);
    expect(await resumed.exited, resumed.stderr().slice(-1000)).toBe(0);
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { subjectId: string }).subjectId);
    expect(lines).toHaveLength(30_000);
    expect(new Set(lines).size).toBe(30_000);
  }, 120_000);
});
