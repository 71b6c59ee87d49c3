/**
 * Prints the file store's heap per user for 100,000 generated users (docs/stores/file.md quotes it):
 *   npx tsx test/stores/file/measure-memory.ts
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { arch, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { memoryPerUser, writeGeneratedJsonLines } from './generated-users.js';

const count = 100_000;
const dir = await mkdtemp(join(tmpdir(), 'legacy-idp-file-memory-'));
try {
  const path = join(dir, 'users.jsonl');
  await writeGeneratedJsonLines(path, count);
  const fileBytes = (await stat(path)).size;
  const registry = createHashRegistry();
  // One load first, so the file store's modules are loaded before the measured one.
  await (await memoryPerUser(path, count, registry)).store.close();
  const started = performance.now();
  const { bytesPerUser, store } = await memoryPerUser(path, count, registry);
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  await registry.close();
  process.stdout.write(
    `${count} users, file ${(fileBytes / count).toFixed(0)} bytes/user: heap ${bytesPerUser.toFixed(0)} bytes/user ` +
      `(${((bytesPerUser * count) / 2 ** 20).toFixed(1)} MiB), loaded in ${seconds.toFixed(2)} s; ` +
      `Node ${process.version} ${arch()}, ${cpus()[0]?.model ?? 'unknown CPU'}\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
