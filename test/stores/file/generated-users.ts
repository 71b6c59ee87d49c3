/**
 * Large generated exports for the memory tests and the memory-per-user measurement: realistic field sizes
 * (24-hex ids, bcrypt-shaped hashes, names, emails) plus unmapped fields the store must not keep. The hashes
 * only have bcrypt's shape: nothing here verifies them.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHashRegistry, type HashRegistry } from '../../../src/hashes/index.js';
import { fileUserStore, type FileUserStore } from '../../../src/stores/file/index.js';

const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Deterministic, so every run measures the same file. */
function pseudoRandomText(seed: number, length: number): string {
  let state = (seed * 2654435761) >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out += alphabet.charAt(state % alphabet.length);
  }
  return out;
}

export function generatedUser(i: number): Record<string, unknown> {
  const n = String(i).padStart(6, '0');
  return {
    id: (0x5dea9f9c82dd + i).toString(16).padStart(24, '0'),
    username: `user${n}`,
    email: `user${n}@example.org`,
    passwordHash: `$2b$10$${pseudoRandomText(i, 53)}`,
    name: `User Number ${n}`,
    given_name: 'User',
    family_name: `Number ${n}`,
    blocked: i % 50 === 0,
    // Unmapped: read and dropped.
    created_at: '2021-03-05T16:35:16.775Z',
    app_metadata: { plan: 'free', roles: ['member'], notes: pseudoRandomText(i + 1, 80) },
  };
}

export const generatedMapping = {
  subjectId: 'id',
  username: 'username',
  email: 'email',
  hash: 'passwordHash',
  displayName: 'name',
  givenName: 'given_name',
  surname: 'family_name',
  states: [{ field: 'blocked', when: 'true' as const, status: 'disabled' as const }],
};

/** Writes `count` users as JSON Lines without building the file in memory. */
export async function writeGeneratedJsonLines(path: string, count: number, record: (i: number) => Record<string, unknown> = generatedUser): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < count; i++) {
    if (!out.write(`${JSON.stringify(record(i))}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The V8 collector, reachable without starting node with --expose-gc. */
export function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Heap bytes a loaded store holds per user: heap after loading minus heap before, over the user count. The
 * registry is made first, so its modules and worker pool are not counted as users.
 */
export async function memoryPerUser(path: string, count: number, registry: HashRegistry = createHashRegistry()): Promise<{ bytesPerUser: number; store: FileUserStore }> {
  const gc = collector();
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = await fileUserStore({ path, mapping: generatedMapping, matchEmail: true, registry });
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (store.stats.users !== count) throw new Error(`expected ${count} users, loaded ${store.stats.users}`);
  return { bytesPerUser: (after - before) / count, store };
}
