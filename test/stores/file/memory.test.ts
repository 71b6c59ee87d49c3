/**
 * Memory, not time: the readers hold one record at a time whatever the file's size, and a loaded store
 * holds the mapped fields of its users and nothing else.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { readCsv, readJsonArray, readJsonLines, type RecordReaderMetrics } from '../../../src/stores/file/index.js';
import { collector, generatedUser, memoryPerUser, writeGeneratedJsonLines } from './generated-users.js';

const records = 200_000;
const heapBound = 64 * 2 ** 20;
let dir: string;
const registry = createHashRegistry({ workers: false });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'legacy-idp-file-memory-'));
});

afterAll(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeLines(path: string, head: string, line: (i: number) => string, tail: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(head);
  for (let i = 0; i < records; i++) if (!out.write(line(i))) await once(out, 'drain');
  out.end(tail);
  await once(out, 'finish');
}

/**
 * Streams every record of the file through the reader, keeping none, and answers the most the heap grew
 * over its level before reading (sampled every 10,000 records) and the reader's own peak buffer.
 */
async function streamThrough(read: (metrics: RecordReaderMetrics) => AsyncIterable<Record<string, unknown>>): Promise<{ count: number; heapGrowth: number; metrics: RecordReaderMetrics }> {
  const gc = collector();
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  let count = 0;
  const metrics: RecordReaderMetrics = { records: 0, peakBufferedBytes: 0 };
  for await (const record of read(metrics)) {
    count += 1;
    if (record['id'] === undefined) throw new Error('record without id');
    if (count % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  return { count, heapGrowth: peak - baseline, metrics };
}

describe('constant memory', () => {
  it(`streams ${records.toLocaleString('en')} JSONL records larger in total than the heap bound, holding one line at a time`, async () => {
    const path = join(dir, 'big.jsonl');
    await writeGeneratedJsonLines(path, records);
    expect((await stat(path)).size).toBeGreaterThan(heapBound);
    const { count, heapGrowth, metrics } = await streamThrough((m) => readJsonLines(createReadStream(path), { metrics: m }));
    expect(count).toBe(records);
    expect(metrics.records).toBe(records);
    // One line of about 440 bytes is the most the reader ever holds.
    expect(metrics.peakBufferedBytes).toBeLessThan(1024);
    expect(heapGrowth).toBeLessThan(heapBound);
  });

  it(`streams a ${records.toLocaleString('en')}-element JSON array under a key, holding one element at a time`, async () => {
    const path = join(dir, 'big.json');
    await writeLines(path, '{"exportedAt": "2025-01-01", "users": [\n', (i) => `${i === 0 ? '' : ',\n'}${JSON.stringify(generatedUser(i), null, 2)}`, '\n]}\n');
    expect((await stat(path)).size).toBeGreaterThan(heapBound);
    const { count, heapGrowth, metrics } = await streamThrough((m) => readJsonArray(createReadStream(path), { key: 'users', metrics: m }));
    expect(count).toBe(records);
    expect(metrics.peakBufferedBytes).toBeLessThan(1024);
    expect(heapGrowth).toBeLessThan(heapBound);
  });

  it(`streams ${records.toLocaleString('en')} CSV rows, holding one row at a time`, async () => {
    const path = join(dir, 'big.csv');
    const row = (i: number): string => {
      const user = generatedUser(i);
      const metadata = JSON.stringify(JSON.stringify(user['app_metadata'])).replace(/\\"/gu, '""');
      return `${[user['id'], user['username'], user['email'], user['passwordHash'], `"${String(user['name'])}, ""quoted"""`, metadata, 'x'.repeat(64)].join(',')}\r\n`;
    };
    await writeLines(path, 'id,username,email,hash,name,metadata,padding\r\n', row, '');
    expect((await stat(path)).size).toBeGreaterThan(heapBound);
    const { count, heapGrowth, metrics } = await streamThrough((m) => readCsv(createReadStream(path), { metrics: m }));
    expect(count).toBe(records);
    // The row buffer starts at 4 KiB and never had to grow.
    expect(metrics.peakBufferedBytes).toBeLessThanOrEqual(4096);
    expect(heapGrowth).toBeLessThan(heapBound);
  });
});

describe('memory per user', () => {
  it('holds 100,000 users in well under 1 KiB each (docs/stores/file.md quotes the measured figure)', async () => {
    const path = join(dir, 'users.jsonl');
    await writeGeneratedJsonLines(path, 100_000);
    const { bytesPerUser, store } = await memoryPerUser(path, 100_000, registry);
    try {
      expect(bytesPerUser).toBeLessThan(1024);
    } finally {
      await store.close();
    }
  });

  it('keeps the mapped fields only: a 4 KiB unmapped field per record costs nothing once loaded', async () => {
    const path = join(dir, 'fat.jsonl');
    const count = 20_000;
    await writeGeneratedJsonLines(path, count, (i) => ({ ...generatedUser(i), avatar: `data:image/png;base64,${String(i).padStart(4096, 'A')}` }));
    const { bytesPerUser, store } = await memoryPerUser(path, count, registry);
    try {
      expect(bytesPerUser).toBeLessThan(1024);
    } finally {
      await store.close();
    }
  });
});
