/**
 * The JSONL sink: one `{ subjectId, payload }` line per user, the exact Graph payload, a 0600 file, redaction for
 * review copies, appending with line numbers that go on, a lookup for the engine's crash check, and writes that
 * wait for the disk so a very large run keeps memory flat.
 */
import { fstatSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { buildLocalAccountUser } from '../../src/graph/users.js';
import { createHashRegistry } from '../../src/hashes/registry.js';
import { openCheckpoint } from '../../src/premigrate/checkpoint.js';
import { runPremigration } from '../../src/premigrate/engine.js';
import { jsonlSink } from '../../src/premigrate/jsonl-sink.js';
import { createMapper } from '../../src/premigrate/mapping.js';
import type { MigrationItem } from '../../src/premigrate/types.js';
import { sqlUserStore } from '../../src/stores/sql/sql-store.js';

let dir: string;
let fileCount = 0;
const nextPath = (): string => join(dir, `payloads-${++fileCount}.jsonl`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'legacy-idp-jsonl-sink-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const posix = process.platform !== 'win32';

function migrationItem(i: number, password = `Generated-Pass-${i}!`, padding = ''): MigrationItem {
  const payload = buildLocalAccountUser({
    tenant: 'contoso',
    issuerAssignedId: `user${i}@example.com`,
    password,
    displayName: `User ${i}${padding}`,
    extensionAppId: '831374b3-bd50-41bf-aa54-263ec9e050fc',
    extensions: { requiresMigration: true },
  });
  return { subjectId: `sql:${i}`, cursor: String(i), identity: payload.identities[0], payload, password: 'generated' };
}

const items = (from: number, count: number): MigrationItem[] => Array.from({ length: count }, (_, k) => migrationItem(from + k));
const readLines = (path: string): unknown[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

describe('jsonl sink', () => {
  it('writes one { subjectId, payload } line per user, the exact Graph payload, and answers created jsonl:<line>', async () => {
    const path = nextPath();
    const sink = jsonlSink({ path });
    expect([sink.name, sink.maxBatch]).toEqual(['jsonl', 1000]);
    const batch = items(1, 3);
    expect(await sink.write(batch)).toEqual([
      { status: 'created', objectId: 'jsonl:1' },
      { status: 'created', objectId: 'jsonl:2' },
      { status: 'created', objectId: 'jsonl:3' },
    ]);
    expect(await sink.write(items(4, 1))).toEqual([{ status: 'created', objectId: 'jsonl:4' }]);
    await sink.close();
    const lines = readLines(path);
    expect(lines).toHaveLength(4);
    lines.slice(0, 3).forEach((line, k) => {
      expect(line).toEqual({ subjectId: batch[k]!.subjectId, payload: batch[k]!.payload });
    });
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
  });

  it.runIf(posix)('creates the file with mode 0600, and narrows an existing file to 0600', async () => {
    const fresh = nextPath();
    const sink = jsonlSink({ path: fresh });
    await sink.write(items(1, 1));
    await sink.close();
    expect((await stat(fresh)).mode & 0o777).toBe(0o600);

    for (const append of [false, true]) {
      const existing = nextPath();
      await writeFile(existing, '');
      await chmod(existing, 0o644);
      const again = jsonlSink({ path: existing, append });
      await again.write(items(1, 1));
      await again.close();
      expect((await stat(existing)).mode & 0o777).toBe(0o600);
    }
  });

  it('writes "[redacted]" instead of each password with redactPasswords', async () => {
    const path = nextPath();
    const sink = jsonlSink({ path, redactPasswords: true });
    const batch = [migrationItem(1, 'Very-Secret-Pass-1'), migrationItem(2, 'Very-Secret-Pass-2')];
    await sink.write(batch);
    await sink.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('Very-Secret-Pass');
    const lines = readLines(path) as Array<{ payload: MigrationItem['payload'] }>;
    expect(lines.map((line) => line.payload.passwordProfile)).toEqual([
      { password: '[redacted]', forceChangePasswordNextSignIn: false },
      { password: '[redacted]', forceChangePasswordNextSignIn: false },
    ]);
    // Everything else is the payload as is; the item itself is not changed.
    expect({ ...lines[0]!.payload, passwordProfile: batch[0]!.payload.passwordProfile }).toEqual(batch[0]!.payload);
    expect(batch[0]!.payload.passwordProfile.password).toBe('Very-Secret-Pass-1');
  });

  it('appends with line numbers that go on, replaces without append, and drops a last line a crash cut short', async () => {
    const path = nextPath();
    const first = jsonlSink({ path });
    await first.write(items(1, 2));
    await first.close();
    const second = jsonlSink({ path, append: true });
    expect((await second.write(items(3, 2))).map((outcome) => outcome.status === 'created' && outcome.objectId)).toEqual(['jsonl:3', 'jsonl:4']);
    await second.close();
    expect((readLines(path) as Array<{ subjectId: string }>).map((line) => line.subjectId)).toEqual(['sql:1', 'sql:2', 'sql:3', 'sql:4']);
    const recorded = readFileSync(path, 'utf8').split('\n').slice(0, 4);

    // A kill in the middle of a batch's write: its fragment (a password in it) goes, the next user takes line 5,
    // every line parses, and the lines recorded users point to stay where they were. One warning, with the count.
    const fragment = '{"subjectId":"sql:5","payload":{"passwordProfile":{"password":"Cut-Short-Secret';
    await writeFile(path, `${readFileSync(path, 'utf8')}${fragment}`);
    const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (message: string, fields?: Record<string, unknown>) => warnings.push({ message, ...(fields ? { fields } : {}) }) };
    const third = jsonlSink({ path, append: true, logger });
    expect(await third.write(items(5, 2))).toEqual([
      { status: 'created', objectId: 'jsonl:5' },
      { status: 'created', objectId: 'jsonl:6' },
    ]);
    await third.close();
    const raw = readFileSync(path, 'utf8');
    expect(raw.endsWith('\n')).toBe(true);
    expect(raw).not.toContain('Cut-Short-Secret');
    expect(raw.split('\n').slice(0, 4)).toEqual(recorded);
    expect((readLines(path) as Array<{ subjectId: string }>).map((line) => line.subjectId)).toEqual(['sql:1', 'sql:2', 'sql:3', 'sql:4', 'sql:5', 'sql:6']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ bytes: Buffer.byteLength(fragment) });
    expect(JSON.stringify(warnings)).not.toContain('Cut-Short-Secret');

    // A file that is nothing but a fragment is emptied.
    const lonely = nextPath();
    await writeFile(lonely, fragment);
    const fourth = jsonlSink({ path: lonely, append: true });
    expect(await fourth.write(items(7, 1))).toEqual([{ status: 'created', objectId: 'jsonl:1' }]);
    await fourth.close();
    expect((readLines(lonely) as Array<{ subjectId: string }>).map((line) => line.subjectId)).toEqual(['sql:7']);

    const replaced = jsonlSink({ path });
    expect(await replaced.write(items(9, 1))).toEqual([{ status: 'created', objectId: 'jsonl:1' }]);
    await replaced.close();
    expect(readLines(path)).toHaveLength(1);
  });

  it('keeps a whole last line that only lacks its newline (an editor saved the file), and refuses a file it never wrote', async () => {
    const path = nextPath();
    const first = jsonlSink({ path });
    await first.write(items(1, 2));
    await first.close();
    // Saved without its final newline: the second line is whole, recorded as jsonl:2, and must stay so.
    await writeFile(path, readFileSync(path, 'utf8').replace(/\n$/u, ''));
    const resumed = jsonlSink({ path, append: true });
    expect(await resumed.lookup?.(items(2, 1)[0]?.identity as MigrationItem['identity'])).toMatchObject({ objectId: 'jsonl:2' });
    // Before: the line was cut as a crash's fragment, the lookup found nobody and the next user took jsonl:2.
    expect(await resumed.write(items(3, 1))).toEqual([{ status: 'created', objectId: 'jsonl:3' }]);
    await resumed.close();
    expect((readLines(path) as Array<{ subjectId: string }>).map((line) => line.subjectId)).toEqual(['sql:1', 'sql:2', 'sql:3']);

    // A single whole line without a newline is kept too.
    const single = nextPath();
    await writeFile(single, readFileSync(path, 'utf8').split('\n')[0] ?? '');
    const onSingle = jsonlSink({ path: single, append: true });
    expect(await onSingle.write(items(4, 1))).toEqual([{ status: 'created', objectId: 'jsonl:2' }]);
    await onSingle.close();
    expect(readLines(single)).toHaveLength(2);

    // A file this sink never wrote (no trailing newline, not a line of ours): refused, left as it was.
    const foreign = nextPath();
    await writeFile(foreign, 'name,email\nann,ann@example.org');
    const onForeign = jsonlSink({ path: foreign, append: true });
    await expect(onForeign.write(items(5, 1))).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_OUTPUT_FILE' });
    await onForeign.close().catch(() => undefined);
    expect(readFileSync(foreign, 'utf8')).toBe('name,email\nann,ann@example.org');
  });

  it('keeps line numbers true with several writes in flight', async () => {
    const path = nextPath();
    const sink = jsonlSink({ path });
    const batches = [items(1, 300), items(301, 5), items(306, 1000), items(1306, 1)];
    const outcomes = await Promise.all(batches.map((batch) => sink.write(batch)));
    await sink.close();
    const lines = readLines(path) as Array<{ subjectId: string }>;
    batches.forEach((batch, b) => {
      batch.forEach((entry, k) => {
        const outcome = outcomes[b]![k]!;
        if (outcome.status !== 'created') throw new Error('expected created');
        const line = Number(outcome.objectId.slice('jsonl:'.length));
        expect(lines[line - 1]!.subjectId).toBe(entry.subjectId);
      });
    });
  });

  it('close() waits for the writes in flight and their syncs, which all resolve', async () => {
    const path = nextPath();
    const sink = jsonlSink({ path });
    const writes = [items(1, 1000), items(1001, 1000), items(2001, 1000), items(3001, 7)].map((batch) => sink.write(batch));
    await sink.close();
    const outcomes = await Promise.all(writes);
    expect(outcomes.flat()).toHaveLength(3007);
    expect(outcomes.at(-1)?.at(-1)).toEqual({ status: 'created', objectId: 'jsonl:3007' });
    expect(readLines(path)).toHaveLength(3007);
  });

  it('finds users by identity among the last lookupWindow lines (the engine checks users a crash left unconfirmed)', async () => {
    const path = nextPath();
    const writer = jsonlSink({ path });
    await writer.write(items(1, 50));
    await writer.close();
    const reader = jsonlSink({ path, append: true, lookupWindow: 10 });
    const identity = (i: number) => ({ signInType: 'emailAddress', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: `user${i}@example.com` });
    expect(await reader.lookup!(identity(50))).toEqual({ objectId: 'jsonl:50' });
    expect(await reader.lookup!({ ...identity(45), issuerAssignedId: 'USER45@example.com', issuer: 'Contoso.onmicrosoft.com' })).toEqual({ objectId: 'jsonl:45' });
    expect(await reader.lookup!(identity(5))).toBeNull(); // outside the window
    expect(await reader.lookup!(identity(99))).toBeNull();
    await reader.close();
    const empty = jsonlSink({ path: nextPath() });
    expect(await empty.lookup!(identity(1))).toBeNull();
    await empty.close();
  });

  it('refuses more than maxBatch users, writes after close, and an aborted signal; close is idempotent', async () => {
    const sink = jsonlSink({ path: nextPath() });
    await expect(sink.write(items(1, 1001))).rejects.toSatisfy((error) => isLegacyIdpError(error, 'ERR_LEGACY_IDP_INVALID_INPUT'));
    await expect(sink.write(items(1, 1), AbortSignal.abort())).rejects.toThrow();
    await sink.close();
    await sink.close();
    await expect(sink.write(items(1, 1))).rejects.toSatisfy((error) => isLegacyIdpError(error, 'ERR_LEGACY_IDP_CLOSED'));
  });

  it('rejects writes with ERR_LEGACY_IDP_OUTPUT_FILE when the file cannot be opened, quoting the OS code only', async () => {
    const sink = jsonlSink({ path: join(dir, 'missing-directory', 'payloads.jsonl') });
    const error: unknown = await sink.write([migrationItem(1, 'Secret-In-Batch-1')]).catch((caught: unknown) => caught);
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_OUTPUT_FILE')).toBe(true);
    expect((error as Error).message).toContain('ENOENT');
    expect(JSON.stringify(error)).not.toContain('Secret-In-Batch');
    await expect(sink.write(items(2, 1))).rejects.toSatisfy((caught) => isLegacyIdpError(caught, 'ERR_LEGACY_IDP_OUTPUT_FILE'));
    await sink.close();
  });

  it('validates its options', () => {
    expect(() => jsonlSink({ path: '' })).toThrow(/path/u);
    expect(() => jsonlSink({ path: 'x', redact: true } as never)).toThrow(/unknown key "redact"/u);
  });
});

describe('backpressure', () => {
  const total = 200_000;
  const heapBound = 64 * 2 ** 20;

  it(`writes ${total.toLocaleString('en')} users, more bytes than the heap bound, with each write on disk before it resolves`, { timeout: 120_000 }, async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const path = nextPath();
    const sink = jsonlSink({ path });
    const padding = ` ${'p'.repeat(200)}`;
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let written = 0;
    for (let start = 1; start <= total; start += sink.maxBatch) {
      // Made per batch, as the engine does: nothing outlives its write.
      const batch = Array.from({ length: sink.maxBatch }, (_, k) => migrationItem(start + k, `Generated-Pass-${start + k}!`, padding));
      const outcomes = await sink.write(batch);
      expect(outcomes).toHaveLength(batch.length);
      written += batch.reduce((bytes, entry) => bytes + Buffer.byteLength(`${JSON.stringify({ subjectId: entry.subjectId, payload: entry.payload })}\n`), 0);
      if ((start - 1) % 20_000 === 0) {
        // The bytes are in the file when write() resolves: the sink holds no backlog.
        expect(statSync(path).size).toBe(written);
        // What the run holds, not the garbage a busy machine has not collected yet.
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    await sink.close();
    const size = (await stat(path)).size;
    expect(size).toBe(written);
    expect(size).toBeGreaterThan(heapBound);
    expect(peak - baseline).toBeLessThan(heapBound);
    const handle = await open(path, 'r');
    const tail = Buffer.alloc(2048);
    await handle.read(tail, 0, tail.length, size - tail.length);
    await handle.close();
    const lastLine = tail.toString('utf8').split('\n').at(-2) ?? '';
    expect(JSON.parse(lastLine)).toMatchObject({ subjectId: `sql:${total}` });
  });
});

describe('durability', () => {
  it('syncs each line to the disk before the engine records its user in the journal', { timeout: 60_000 }, async () => {
    const users = 2_500;
    const legacy = join(dir, 'durable-legacy.db');
    const db = new Database(legacy);
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, hash TEXT)');
    const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= users; i++) insert.run(i, `durable${i}@legacy.example`, '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS');
    })();
    db.close();
    const registry = createHashRegistry({ workers: false });
    const store = await sqlUserStore({ dialect: 'sqlite', connection: legacy, table: 'users', registry, mapping: { subjectId: 'id', username: 'email', email: 'email', hash: 'hash' } });
    const path = nextPath();
    const sink = jsonlSink({ path });
    const checkpoint = await openCheckpoint(join(dir, 'durable-journal.db'));

    // The real fsync runs; the wrapper notes how many of the file's lines each completed sync covered (those
    // written before it began). Only syncs of the sink's file count.
    const lineCount = (): number => readFileSync(path).reduce((count, byte) => count + (byte === 0x0a ? 1 : 0), 0);
    const isSinkFile = (fd: number): boolean => fstatSync(fd).ino === statSync(path).ino;
    let durableLines = 0;
    const probe = await open(legacy, 'r');
    const fileHandle = Object.getPrototypeOf(probe) as { datasync: () => Promise<void>; sync: () => Promise<void> };
    await probe.close();
    const spies = (['datasync', 'sync'] as const).map((method) => {
      const real = fileHandle[method];
      return vi.spyOn(fileHandle, method).mockImplementation(async function (this: { fd: number }) {
        const covered = isSinkFile(this.fd) ? lineCount() : undefined;
        await real.call(this);
        if (covered !== undefined) durableLines = Math.max(durableLines, covered);
      });
    });

    // The checkpoint hook: at the moment a user is recorded as written, its line must be on the disk.
    const recordedLines: number[] = [];
    const record = checkpoint.record.bind(checkpoint);
    checkpoint.record = (results, batchId) => {
      for (const { outcome } of results) {
        if (outcome.status !== 'created') continue;
        const line = Number(outcome.objectId.replace('jsonl:', ''));
        recordedLines.push(line);
        expect(line, `jsonl:${line} recorded before a sync covered it`).toBeLessThanOrEqual(durableLines);
      }
      return record(results, batchId);
    };
    try {
      const summary = await runPremigration({ source: store, map: createMapper({ tenant: 'contoso.onmicrosoft.com', passwords: { requiresMigrationAttribute: false } }), sink, checkpoint });
      expect(summary.created).toBe(users);
      expect(recordedLines).toHaveLength(users);
    } finally {
      for (const spy of spies) spy.mockRestore();
      await sink.close();
      checkpoint.close();
      await store.close();
      await registry.close();
    }
  });
});
