import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, openStore } from '../../src/cli/config.js';

/** The config file's `hashes` section: the registry the CLI gives hash stores, with serve's overload budget. */

const demoConfig = JSON.parse(readFileSync(resolve('examples/demo/legacy-idp.json'), 'utf8')) as { store: Record<string, unknown> };
const demoUsers = resolve('examples/demo/users.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-config-hashes-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, hashes?: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...demoConfig, store: { ...demoConfig.store, path: demoUsers }, ...(hashes === undefined ? {} : { hashes }) }));
  return path;
}

describe('config file: hashes', () => {
  it('defaults to a 200 ms queue-wait budget; false turns it off; nonsense is refused with the key named', async () => {
    expect((await loadConfig(writeConfig('default'))).config.hashes).toEqual({ maxQueueWaitMs: 200 });
    expect((await loadConfig(writeConfig('off', { maxQueueWaitMs: false }))).config.hashes).toEqual({ maxQueueWaitMs: false });
    await expect(loadConfig(writeConfig('zero', { maxQueueWaitMs: 0 }))).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', message: expect.stringContaining('hashes.maxQueueWaitMs') as unknown });
    await expect(loadConfig(writeConfig('unknown', { workers: 3 }))).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
  });

  it('gives the store a registry that answers an overloaded check `unavailable`/`overloaded` at once, never `invalid`', async () => {
    const warnings: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (message: string) => warnings.push(message) };
    const store = await openStore(await loadConfig(writeConfig('tight', { concurrency: 1, maxQueueWaitMs: 20, overloadReportMs: 50 })), { logger });
    try {
      // One bcrypt-10 check teaches the queue how long a check takes (tens of ms).
      expect((await store.verify({ username: 'alice', password: 'Wonderland-2024' })).status).toBe('valid');
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => store.verify({ username: 'alice', password: 'Wonderland-2024' })));
      const statuses = outcomes.map((outcome) => (outcome.status === 'unavailable' ? `unavailable:${outcome.reason}` : outcome.status));
      expect(statuses).toContain('unavailable:overloaded');
      expect(statuses).toContain('valid');
      expect(statuses.every((status) => status === 'valid' || status === 'unavailable:overloaded')).toBe(true);
      // The operator hears of it once per period, through the logger openStore was given.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(warnings).toEqual(['hash queue over its wait budget: checks refused as overloaded']);
    } finally {
      await store.close?.();
    }
  });

  it('queues every check when the budget is off', async () => {
    const store = await openStore(await loadConfig(writeConfig('queue', { concurrency: 1, maxQueueWaitMs: false })));
    try {
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => store.verify({ username: 'alice', password: 'Wonderland-2024' })));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(Array.from({ length: 6 }, () => 'valid'));
    } finally {
      await store.close?.();
    }
  });
});
