import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LegacyIdpError } from '../../src/core/errors.js';
import { createComputeGate } from '../../src/hashes/compute.js';
import { builtinSchemes, createHashRegistry, defaultHashLimits, type HashScheme } from '../../src/hashes/index.js';

const ssha = (password: string, salt: string): string =>
  `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), Buffer.from(salt)]).toString('base64')}`;

/** A test scheme: "t$" + password reversed. Records how it was called. */
function reversedScheme(overrides: Partial<HashScheme> = {}): HashScheme {
  return {
    id: 'test_reversed',
    family: 'digest',
    summary: 'test scheme',
    example: 't$...',
    source: 'this test',
    execution: 'inline',
    upgradeAdvice: 'none',
    identify: (hash) => hash.startsWith('t$'),
    verify: ({ password, hash }) => hash === `t$${Array.from(password).reverse().join('')}`,
    ...overrides,
  };
}

describe('hash registry', () => {
  it('lists every built-in scheme with its metadata, ids unique', () => {
    const registry = createHashRegistry({ workers: false });
    const list = registry.list();
    expect(list.length).toBe(builtinSchemes.length);
    expect(new Set(list.map((s) => s.id)).size).toBe(list.length);
    const ssha1 = list.find((s) => s.id === 'ldap_salted_sha1');
    expect(ssha1).toMatchObject({ family: 'ldap', canHash: false, identifiable: true, execution: 'inline' });
  });

  it('identifies, verifies and reports the scheme used', async () => {
    const registry = createHashRegistry({ workers: false });
    const hash = ssha('correct horse', 'NaCl-1234');
    expect(registry.identify(hash)).toContain('ldap_salted_sha1');
    expect(await registry.verify('correct horse', hash)).toEqual({ valid: true, scheme: 'ldap_salted_sha1', needsUpgrade: true, disabled: false });
    expect(await registry.verify('correct horsE', hash)).toEqual({ valid: false, scheme: 'ldap_salted_sha1', needsUpgrade: false, disabled: false });
    expect(await registry.verify('correct horse', hash, { scheme: 'ldap_salted_sha1' })).toMatchObject({ valid: true });
  });

  it('never guesses: unknown shapes and unknown ids are typed errors', async () => {
    const registry = createHashRegistry({ workers: false });
    expect(registry.identify('5f4dcc3b5aa765d61d8327deb882cf99')).toEqual([]);
    await expect(registry.verify('password', '5f4dcc3b5aa765d61d8327deb882cf99')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME' });
    await expect(registry.verify('password', 'x', { scheme: 'no_such_scheme' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME' });
    await expect(registry.verify(undefined as unknown as string, 'x')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
  });

  it('registers custom schemes and refuses a duplicate id', async () => {
    const registry = createHashRegistry({ schemes: [], workers: false });
    registry.register(reversedScheme());
    expect(await registry.verify('abc', 't$cba')).toMatchObject({ valid: true, scheme: 'test_reversed', needsUpgrade: true });
    expect(() => {
      registry.register(reversedScheme());
    }).toThrow(expect.objectContaining({ code: 'ERR_LEGACY_IDP_HASH_DUPLICATE_SCHEME' }) as Error);
    expect(() => createHashRegistry({ schemes: [reversedScheme(), reversedScheme()] })).toThrow(/already registered/u);
  });

  it('turns an untyped throw inside a scheme into a typed malformed-hash error, without quoting the hash', async () => {
    const registry = createHashRegistry({
      schemes: [
        reversedScheme({
          verify: () => {
            throw new RangeError('t$SECRET-HASH-TEXT out of range');
          },
        }),
      ],
      workers: false,
    });
    const error = await registry.verify('pw', 't$SECRET-HASH-TEXT').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LegacyIdpError);
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
    expect((error as Error).message).not.toContain('SECRET-HASH-TEXT');
  });

  it('checks required context before verifying', async () => {
    let called = false;
    const registry = createHashRegistry({
      schemes: [
        reversedScheme({
          contextKeys: [{ key: 'user', required: true, description: 'account name' }],
          verify: () => {
            called = true;
            return true;
          },
        }),
      ],
      workers: false,
    });
    await expect(registry.verify('pw', 't$wp')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT', message: 'test_reversed: needs context "user"' });
    expect(called).toBe(false);
    expect(await registry.verify('pw', 't$wp', { context: { user: 'bob' } })).toMatchObject({ valid: true });
  });

  it('answers false for passwords above the byte limit without hashing', async () => {
    let called = false;
    const registry = createHashRegistry({
      schemes: [
        reversedScheme({
          verify: () => {
            called = true;
            return true;
          },
        }),
      ],
      limits: { maxPasswordBytes: 8 },
      workers: false,
    });
    expect(registry.limits.maxPasswordBytes).toBe(8);
    expect(registry.limits.maxPbkdf2Iterations).toBe(defaultHashLimits.maxPbkdf2Iterations);
    expect(await registry.verify('ééééé', 't$x')).toMatchObject({ valid: false }); // 10 UTF-8 bytes
    expect(called).toBe(false);
  });

  it('reports disabled markers and asks each scheme about upgrades', async () => {
    const registry = createHashRegistry({
      schemes: [
        reversedScheme({ id: 'marker', identify: (h) => h === '!', verify: () => 'disabled' }),
        reversedScheme({ needsUpgrade: (hash) => hash.length < 5 }),
      ],
      workers: false,
    });
    expect(await registry.verify('pw', '!')).toEqual({ valid: false, scheme: 'marker', needsUpgrade: false, disabled: true });
    expect(await registry.verify('abcd', 't$dcba')).toMatchObject({ valid: true, needsUpgrade: false });
    expect(await registry.verify('ab', 't$ba')).toMatchObject({ valid: true, needsUpgrade: true });
  });

  it('builds wrappers through verifyInner', async () => {
    const wrapper = reversedScheme({
      id: 'test_wrapper',
      identify: (hash) => hash.startsWith('{W}'),
      verify: ({ password, hash, verifyInner }) => verifyInner(password, hash.slice(3), 'test_reversed'),
    });
    const registry = createHashRegistry({ schemes: [wrapper, reversedScheme()], workers: false });
    expect(await registry.verify('abc', '{W}t$cba')).toMatchObject({ valid: true, scheme: 'test_wrapper' });
    expect(await registry.verify('abd', '{W}t$cba')).toMatchObject({ valid: false });
  });

  it('refuses hash() for schemes that cannot make new hashes', async () => {
    const registry = createHashRegistry({ workers: false });
    await expect(registry.hash('ldap_salted_sha1', 'pw')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_UNSUPPORTED' });
    await expect(registry.hash('nope', 'pw')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME' });
  });

  it('validates its options, naming the key', () => {
    expect(() => createHashRegistry({ limits: { maxBcryptCost: 40 } })).toThrow(/limits\.maxBcryptCost/u);
    expect(() => createHashRegistry({ maxQueue: -1 })).toThrow(/maxQueue/u);
  });
});

describe('compute gate', () => {
  it('lets at most `concurrency` tasks run, in FIFO order, and fails fast when the queue is full', async () => {
    const gate = createComputeGate(2, 3);
    const order: number[] = [];
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const task = (n: number) => () =>
      new Promise<number>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        order.push(n);
        releases.push(() => {
          running--;
          resolve(n);
        });
      });
    const results = [1, 2, 3, 4, 5].map((n) => gate.run(task(n)));
    await expect(gate.run(task(6))).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_BUSY' });
    expect(gate.inFlight).toBe(2);
    expect(gate.queued).toBe(3);
    while (releases.length > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5]);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(gate.inFlight).toBe(0);
  });

  it('frees the slot when a task fails', async () => {
    const gate = createComputeGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(() => Promise.resolve(7))).toBe(7);
  });

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  it('refuses at once a task whose expected wait is over the budget, and admits it again when the queue drains', async () => {
    const gate = createComputeGate(2, 100, { maxWaitMs: 100 });
    // Two 40 ms tasks teach the gate the task time.
    await Promise.all([gate.run(() => sleep(40)), gate.run(() => sleep(40))]);
    expect(gate.averageTaskMs).toBeGreaterThanOrEqual(35);
    // With every slot taken, the k-th task in the queue expects (k / 2) x the learned time: those over 100 ms are refused.
    const fitting = Math.floor((100 * 2) / (gate.averageTaskMs as number));
    const admitted = Array.from({ length: 8 }, () => gate.run(() => sleep(40)));
    const settled = Promise.allSettled(admitted);
    const refusedAt = performance.now();
    await expect(gate.run(() => sleep(40))).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_BUSY', message: expect.stringMatching(/over the 100 ms budget/u) as unknown });
    // A refusal costs no waiting.
    expect(performance.now() - refusedAt).toBeLessThan(20);
    const outcomes = await settled;
    const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
    expect(fitting).toBeLessThan(6);
    expect(fulfilled).toBe(2 + fitting);
    expect(gate.shed).toBe(8 - fulfilled + 1);
    expect(gate.inFlight).toBe(0);
    expect(await gate.run(() => Promise.resolve('after'))).toBe('after');
  });

  it('drops a task that waited longer than the budget, without running it, and hands the slot on', async () => {
    const gate = createComputeGate(1, 100, { maxWaitMs: 50 });
    // Learned time 1 ms: the next tasks look cheap, so all are admitted...
    await gate.run(() => Promise.resolve());
    let ran = 0;
    const slow = gate.run(() => sleep(120));
    const late = gate.run(() => {
      ran++;
      return Promise.resolve('late');
    });
    // ...but the first one takes 120 ms: the waiting one is over its budget when the slot frees.
    await slow;
    await expect(late).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_BUSY', message: expect.stringMatching(/waited \d+ ms/u) as unknown });
    expect(ran).toBe(0);
    expect(gate.inFlight).toBe(0);
    expect(await gate.run(() => Promise.resolve('next'))).toBe('next');
  });

  it('has no wait budget by default: every task queues', async () => {
    const gate = createComputeGate(1, 100);
    await gate.run(() => sleep(20));
    const all = await Promise.all(Array.from({ length: 6 }, (_, index) => gate.run(() => sleep(20).then(() => index))));
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
    expect(gate.shed).toBe(0);
  });

  it('registry: warns once per period while refusing, with how many, and stays silent when nothing is refused', async () => {
    const warnings: Record<string, unknown>[] = [];
    const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_message: string, fields?: Record<string, unknown>) => warnings.push({ message: _message, ...fields }) };
    const registry = createHashRegistry({ concurrency: 1, maxQueueWaitMs: 20, workers: false, logger, overloadReportMs: 100 });
    try {
      const hash = await registry.hash('bcrypt', 'report-password', { cost: 8 });
      await registry.verify('report-password', hash);
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => registry.verify('report-password', hash)));
      const refused = results.filter((result) => result.status === 'rejected').length;
      expect(refused).toBeGreaterThan(0);
      expect(warnings).toEqual([]);
      await sleep(250);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ message: expect.stringMatching(/refused as overloaded/u) as unknown, refused, periodMs: 100, maxQueueWaitMs: 20 });
      // Quiet afterwards: no refusals, no more warnings.
      await registry.verify('report-password', hash);
      await sleep(250);
      expect(warnings).toHaveLength(1);
    } finally {
      await registry.close();
    }
  });

  it('registry: maxQueueWaitMs turns an overloaded queue into ERR_LEGACY_IDP_HASH_BUSY answered at once', async () => {
    expect(() => createHashRegistry({ maxQueueWaitMs: 0 })).toThrow(/maxQueueWaitMs/u);
    const registry = createHashRegistry({ concurrency: 1, maxQueueWaitMs: 30, workers: false });
    try {
      const hash = await registry.hash('bcrypt', 'queue-password', { cost: 8 });
      await registry.verify('queue-password', hash);
      const results = await Promise.allSettled(Array.from({ length: 12 }, () => registry.verify('queue-password', hash)));
      const busy = results.filter((result) => result.status === 'rejected');
      expect(busy.length).toBeGreaterThan(0);
      for (const result of busy) expect((result).reason).toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_BUSY' });
      // Whatever was admitted verified correctly: a refusal is never a false answer.
      for (const result of results) if (result.status === 'fulfilled') expect(result.value).toMatchObject({ valid: true });
    } finally {
      await registry.close();
    }
  });
});

describe('worker pool', () => {
  it('runs verify() and hash() of worker schemes in worker threads', async () => {
    const registry = createHashRegistry();
    expect(registry.get('bcrypt')?.execution).toBe('worker');
    try {
      const hash = await registry.hash('bcrypt', 'pool-password', { cost: 4 });
      expect(hash).toMatch(/^\$2b\$04\$/u);
      expect(await registry.verify('pool-password', hash)).toMatchObject({ valid: true, scheme: 'bcrypt' });
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => registry.verify(i % 2 === 0 ? 'pool-password' : 'other', hash)));
      expect(results.map((r) => r.valid)).toEqual([true, false, true, false, true, false]);
      // A typed error raised inside a worker arrives typed.
      await expect(registry.verify('x', '$2b$04$tooshort', { scheme: 'bcrypt' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
    } finally {
      await registry.close();
    }
  });
});
