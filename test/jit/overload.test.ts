import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { createHashRegistry } from '../../src/hashes/registry.js';
import { b2cHandler } from '../../src/jit/b2c.js';
import { createCallerAuth } from '../../src/jit/caller-auth.js';
import { genericHandler } from '../../src/jit/generic.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { fileUserStore } from '../../src/stores/file/file-store.js';

/**
 * Admission control seen from a JIT endpoint: with one hash slot and a 20 ms queue-wait budget, a burst of
 * bcrypt-10 sign-ins is answered at once as overloaded ("try again"), never as a wrong password, without counting
 * against the lockout; the admitted ones verify.
 */

const apiKey = 'overload-test-key-0123456789';
const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
// alice: bcrypt cost 10 in the bundled demo file.
const alice = { username: 'alice', password: 'Wonderland-2024' };

async function stack(logger: Logger) {
  const registry = createHashRegistry({ concurrency: 1, maxQueueWaitMs: 20, workers: false });
  const store = await fileUserStore({
    path: resolve('examples/demo/users.jsonl'),
    registry,
    mapping: { subjectId: 'id', username: 'username', email: 'email', hash: 'passwordHash', schemeField: 'scheme' },
  });
  // Three failures lock the account: refusals that counted would lock alice out below.
  const lockout = createLockoutPolicy({ account: { threshold: 3, windowSeconds: 600 }, ip: false });
  const authenticator = createAuthenticator({ verifier: store, profiles: store, lockout });
  const callerAuth = createCallerAuth({ apiKey: { header: 'x-api-key', keys: [{ label: 'test', value: apiKey }] } });
  return {
    generic: genericHandler({ authenticator, callerAuth, logger }),
    b2c: b2cHandler({ mode: 'claims', authenticator, profiles: store, callerAuth, logger }),
    async close() {
      await store.close();
      await registry.close();
    },
  };
}

describe('JIT endpoints under hash overload', () => {
  it('answer a burst over the queue budget as overloaded at once, uncounted, and verify the admitted ones', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger: Logger = { ...silentLogger, info: (_message, fields) => lines.push(fields ?? {}) };
    const { generic, b2c, close } = await stack(logger);
    try {
      const post = (handler: typeof generic, body: unknown) => handler(new Request('http://localhost/', { method: 'POST', headers, body: JSON.stringify(body) }));
      // One check teaches the queue what a bcrypt-10 check costs.
      expect(await (await post(generic, alice)).json()).toMatchObject({ status: 'valid' });

      const burst = await Promise.all(Array.from({ length: 12 }, () => post(generic, alice).then((answer) => answer.json() as Promise<Record<string, unknown>>)));
      const overloaded = burst.filter((body) => body['status'] === 'unavailable');
      expect(overloaded.length).toBeGreaterThanOrEqual(6);
      for (const body of overloaded) expect(body).toEqual({ status: 'unavailable', reason: 'overloaded' });
      expect(burst.filter((body) => body['status'] === 'valid').length).toBe(12 - overloaded.length);
      expect(lines.filter((line) => line['outcome'] === 'unavailable_overloaded')[0]).toMatchObject({ reason: 'overloaded', errorCode: 'ERR_LEGACY_IDP_HASH_BUSY' });

      // B2C: its unavailable text, with status 409.
      const b2cBurst = await Promise.all(Array.from({ length: 8 }, () => post(b2c, { signInName: 'alice', password: alice.password })));
      const b2cRefused = await Promise.all(b2cBurst.filter((answer) => answer.status === 409).map((answer) => answer.json() as Promise<Record<string, unknown>>));
      expect(b2cRefused.length).toBeGreaterThan(0);
      for (const body of b2cRefused) expect(body['userMessage']).toMatch(/cannot check your password right now/u);

      // None of the refusals counted: alice is not locked, and her password still works.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await (await post(generic, alice)).json()).toMatchObject({ status: 'valid' });
    } finally {
      await close();
    }
  });
});
