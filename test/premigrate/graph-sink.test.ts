import { afterEach, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { buildLocalAccountUser, generateCompliantPassword, type GraphClientOptions } from '../../src/graph/index.js';
import { graphSink, type GraphSinkOptions } from '../../src/premigrate/graph-sink.js';
import { createPacer, type PacerOptions } from '../../src/premigrate/pacer.js';
import type { ItemOutcome, MigrationItem } from '../../src/premigrate/types.js';
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from '../harness/graph-emulator.js';
import { captureLogger, emulatorClient, fakeClock, uniqueEmail } from '../graph/helpers.js';

const open: GraphEmulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((emulator) => emulator.close()));
});

async function emulatorWith(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  const emulator = await startGraphEmulator(options);
  open.push(emulator);
  return emulator;
}

function itemFor(emulator: GraphEmulator, options: { email?: string; password?: string; disableStrongPassword?: boolean } = {}): MigrationItem {
  const email = options.email ?? uniqueEmail('sink');
  const payload = buildLocalAccountUser({
    tenant: emulator.tenantDomain,
    issuerAssignedId: email,
    password: options.password ?? generateCompliantPassword(),
    disableStrongPassword: options.disableStrongPassword ?? false,
  });
  return { subjectId: `legacy-${email}`, identity: payload.identities[0], payload, password: 'recovered' };
}

const itemsFor = (emulator: GraphEmulator, count: number): MigrationItem[] => Array.from({ length: count }, () => itemFor(emulator));

/**
 * Everything on one fake clock: the emulator's quotas and tokens, the client's retry waits, the pacer's waits
 * and the sink's per-item waits (recorded in `sinkSleeps`, each moving the clock when it ends).
 */
async function fakeTimeSetup(
  emulatorOptions: GraphEmulatorOptions = {},
  overrides: { client?: Partial<GraphClientOptions>; sink?: Partial<GraphSinkOptions>; pacer?: PacerOptions } = {},
) {
  const clock = fakeClock();
  const emulator = await emulatorWith({ now: clock.now, ...emulatorOptions });
  const clientLog = captureLogger();
  const { client, waits: clientWaits } = emulatorClient(emulator, { logger: clientLog.logger, ...overrides.client }, clock);
  const pacerSleeps: number[] = [];
  const pacer = createPacer({
    now: clock.now,
    sleep: (ms) => {
      pacerSleeps.push(ms);
      return Promise.resolve().then(() => {
        clock.advance(ms);
      });
    },
    ...overrides.pacer,
  });
  const sinkSleeps: number[] = [];
  const sinkLog = captureLogger();
  const sink = graphSink({
    graph: client,
    pacer,
    logger: sinkLog.logger,
    random: () => 0.5,
    sleep: (ms) => {
      sinkSleeps.push(ms);
      return Promise.resolve().then(() => {
        clock.advance(ms);
      });
    },
    ...overrides.sink,
  });
  return { clock, emulator, client, clientWaits, pacer, pacerSleeps, sink, sinkSleeps, logLines: () => [...clientLog.lines, ...sinkLog.lines] };
}

/** Each item's identity is in the directory exactly once, with the object id its outcome names. */
function expectCreatedOnce(emulator: GraphEmulator, items: readonly MigrationItem[], outcomes: readonly ItemOutcome[]): void {
  expect(outcomes).toHaveLength(items.length);
  items.forEach((item, index) => {
    const holders = [...emulator.users.values()].filter((user) =>
      user.identities.some((identity) => identity.issuerAssignedId.toLowerCase() === item.identity.issuerAssignedId.toLowerCase()),
    );
    expect(holders).toHaveLength(1);
    expect(outcomes[index]).toEqual({ status: 'created', objectId: holders[0]?.id });
  });
}

const batchItems = (emulator: GraphEmulator, seq: number) => emulator.requests.filter((entry) => entry.kind === 'batch-item' && entry.seq === seq);
const graphRequests = (emulator: GraphEmulator) => emulator.requests.filter((entry) => entry.kind === 'graph');

describe('graphSink', () => {
  it('creates a batch of 20 exactly once when items are throttled inside it, each retried after its own Retry-After', async () => {
    const retryAfter: Record<number, string> = { 3: '0.25', 8: '0.5', 15: '1.125' };
    const setup = await fakeTimeSetup({ faults: { batchItem: { on: [3, 8, 15], retryAfter: (n) => retryAfter[n] ?? null } } });
    const items = itemsFor(setup.emulator, 20);
    const outcomes = await setup.sink.write(items);

    expectCreatedOnce(setup.emulator, items, outcomes);
    expect(setup.emulator.users.size).toBe(20);
    // First $batch: 20 items, three of them 429. Second: exactly those three, each created.
    const first = batchItems(setup.emulator, 1);
    expect(first).toHaveLength(20);
    const throttledIds = first.filter((entry) => entry.status === 429).map((entry) => entry.batchItemId);
    expect(throttledIds).toEqual(['3', '8', '15']);
    const second = batchItems(setup.emulator, 2);
    expect(second.map((entry) => entry.batchItemId).sort()).toEqual(['15', '3', '8']);
    expect(second.every((entry) => entry.status === 201)).toBe(true);
    expect(graphRequests(setup.emulator)).toHaveLength(2);
    // Each item waited its own Retry-After, fractions kept (not the longest, not a backoff).
    expect([...setup.sinkSleeps].sort((a, b) => a - b)).toEqual([250, 500, 1125]);
    // The client did not retry the items itself; the pacer counted the 429s.
    expect(setup.clientWaits).toEqual([]);
    expect(setup.pacer.stats()).toMatchObject({ sent: 23, throttled: 3 });
    expect(setup.sink.stats()).toMatchObject({ batches: 2, sends: 23, retries: 3, created: 20 });
    const passwords = items.map((item) => item.payload.passwordProfile.password);
    const text = JSON.stringify(outcomes) + setup.logLines().join('\n');
    for (const password of passwords) expect(text).not.toContain(password);
  });

  it('reports an existing identity (ObjectConflict) as existed, with the object id of the user holding it', async () => {
    const setup = await fakeTimeSetup();
    const taken = itemFor(setup.emulator);
    const existing = await setup.client.createUser(taken.payload);
    const again = itemFor(setup.emulator, { email: taken.identity.issuerAssignedId.toUpperCase() });
    const fresh = itemFor(setup.emulator);
    const outcomes = await setup.sink.write([again, fresh]);
    expect(outcomes[0]).toEqual({ status: 'existed', objectId: existing.id });
    expect(outcomes[1]).toMatchObject({ status: 'created' });
    expect(setup.emulator.users.size).toBe(2);
    // The lookup names the sign-in name as the directory holds it, letter case included.
    expect(await setup.sink.lookup?.(taken.identity)).toEqual({ objectId: existing.id, signInName: taken.identity.issuerAssignedId });
    expect(await setup.sink.lookup?.(again.identity)).toEqual({ objectId: existing.id, signInName: taken.identity.issuerAssignedId });
    expect(await setup.sink.lookup?.(itemFor(setup.emulator).identity)).toBeNull();
    expect(setup.sink.stats()).toMatchObject({ existed: 1, created: 1, retries: 0 });
  });

  it('fails a refused payload (weak password without DisableStrongPassword) at once: not retryable, Graph code, no password', async () => {
    const setup = await fakeTimeSetup();
    const weak = itemFor(setup.emulator, { password: 'onlylowercase' });
    const good = itemFor(setup.emulator);
    const outcomes = await setup.sink.write([weak, good]);
    expect(outcomes[0]).toMatchObject({ status: 'failed', code: 'Request_BadRequest', retryable: false });
    const reason = outcomes[0]?.status === 'failed' ? outcomes[0].reason : '';
    expect(reason).toMatch(/password complexity/u);
    expect(reason).not.toContain('onlylowercase');
    expect(reason).not.toContain(weak.identity.issuerAssignedId);
    expect(outcomes[1]).toMatchObject({ status: 'created' });
    // One request for it, never retried.
    expect(setup.emulator.requests.filter((entry) => entry.kind === 'batch-item' && entry.batchItemId === '1')).toHaveLength(1);
    expect(graphRequests(setup.emulator)).toHaveLength(1);
    expect(setup.sinkSleeps).toEqual([]);
    expect(setup.logLines().join('\n')).not.toContain('onlylowercase');
    // The same password is fine once the payload says DisableStrongPassword.
    const allowed = await setup.sink.write([itemFor(setup.emulator, { password: 'onlylowercase', disableStrongPassword: true })]);
    expect(allowed[0]).toMatchObject({ status: 'created' });
  });

  it('retries a $batch that failed as a whole with 503 (after the client gave up), creating each user once', async () => {
    const setup = await fakeTimeSetup({ faults: { unavailable: { on: [1, 2] } } }, { client: { maxRetries: 0 } });
    const items = itemsFor(setup.emulator, 20);
    const outcomes = await setup.sink.write(items);
    expectCreatedOnce(setup.emulator, items, outcomes);
    expect(graphRequests(setup.emulator).map((entry) => entry.status)).toEqual([503, 503, 200]);
    // No Retry-After: full-jitter backoff, 1 s then 2 s ceilings, with random() = 0.5: 500 then 1000 ms for each item.
    expect(setup.sinkSleeps).toEqual([...Array<number>(20).fill(500), ...Array<number>(20).fill(1000)]);
  });

  it('retries items that answer 503 inside the batch after their Retry-After', async () => {
    const setup = await fakeTimeSetup({ faults: { batchItem: { on: [2, 5], status: 503, retryAfter: '0.75' } } });
    const items = itemsFor(setup.emulator, 6);
    const outcomes = await setup.sink.write(items);
    expectCreatedOnce(setup.emulator, items, outcomes);
    expect(batchItems(setup.emulator, 2).map((entry) => entry.batchItemId).sort()).toEqual(['2', '5']);
    expect(setup.sinkSleeps).toEqual([750, 750]);
  });

  it('goes on when the access token stops being accepted mid-run', async () => {
    // Every token is refused after 10 requests: with 4 batches in flight, several meet the refusal at once.
    const setup = await fakeTimeSetup({ tokenMaxUses: 10 });
    const writes = Array.from({ length: 20 }, () => itemsFor(setup.emulator, 20));
    const outcomes = await Promise.all(writes.map((items) => setup.sink.write(items)));
    writes.forEach((items, index) => {
      expectCreatedOnce(setup.emulator, items, outcomes[index] ?? []);
    });
    expect(setup.emulator.users.size).toBe(400);
    expect(graphRequests(setup.emulator).filter((entry) => entry.status === 401).length).toBeGreaterThanOrEqual(1);
    expect(setup.emulator.summary().tokenRequestCount).toBeGreaterThanOrEqual(2);
  });

  it('gives up after maxItemAttempts on a persistent 503: failed, retryable, one $batch per attempt', async () => {
    const setup = await fakeTimeSetup({ faults: { unavailable: { every: 1 } } }, { client: { maxRetries: 0 }, sink: { maxItemAttempts: 3 } });
    const items = itemsFor(setup.emulator, 4);
    const outcomes = await setup.sink.write(items);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'failed', code: 'serviceNotAvailable', retryable: true });
      expect(outcome.status === 'failed' ? outcome.reason : '').toMatch(/^gave up after 3 attempts: Graph POST \/\$batch answered 503/u);
    }
    expect(graphRequests(setup.emulator)).toHaveLength(3);
    expect(setup.emulator.users.size).toBe(0);
    expect(setup.sinkSleeps).toEqual([...Array<number>(4).fill(500), ...Array<number>(4).fill(1000)]);
  });

  it('gives up after maxItemAttempts on an item throttled every time: failed retryable TooManyRequests', async () => {
    const setup = await fakeTimeSetup({ faults: { batchItem: { every: 1, retryAfter: '0.1' } } }, { sink: { maxItemAttempts: 2 } });
    const outcomes = await setup.sink.write(itemsFor(setup.emulator, 2));
    for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'failed', code: 'TooManyRequests', retryable: true });
    expect(setup.sinkSleeps).toEqual([100, 100]);
    expect(setup.pacer.stats().throttled).toBe(4);
  });

  it('sends smaller batches when the pacer cannot grant 20 creates at once', async () => {
    const setup = await fakeTimeSetup({}, { pacer: { writesPerWindow: 8, windowMs: 1000, latencyMs: 0 } });
    const items = itemsFor(setup.emulator, 20);
    const outcomes = await setup.sink.write(items);
    expectCreatedOnce(setup.emulator, items, outcomes);
    expect([1, 2, 3].map((seq) => batchItems(setup.emulator, seq).length)).toEqual([8, 8, 4]);
  });

  it('rejects the write when the app credentials are refused (the sink is broken, the run must stop)', async () => {
    const setup = await fakeTimeSetup({}, { client: { clientSecret: 'not-the-secret' } });
    const error: unknown = await setup.sink.write(itemsFor(setup.emulator, 2)).catch((reason: unknown) => reason);
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_GRAPH_AUTH')).toBe(true);
    expect((error as Error).message).not.toContain('not-the-secret');
  });

  it('validates its options and its input, and honours abort and close', async () => {
    const setup = await fakeTimeSetup({ faults: { batchItem: { every: 1, retryAfter: '5' } } });
    expect(() => graphSink({} as GraphSinkOptions)).toThrow(/graphSink: invalid value at "graph"/u);
    expect(() => graphSink({ graph: setup.client, concurrency: 0 })).toThrow(/concurrency/u);
    await expect(setup.sink.write(itemsFor(setup.emulator, 21))).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
    expect(await setup.sink.write([])).toEqual([]);
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    await expect(setup.sink.write(itemsFor(setup.emulator, 1), aborted.signal)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_DEADLINE_EXCEEDED' });

    // A sink whose retries wait on a real timer (5 s Retry-After): close() ends the wait and the write.
    const slow = graphSink({ graph: setup.client, pacer: createPacer() });
    const pending = slow.write(itemsFor(setup.emulator, 1));
    const settled = pending.catch((reason: unknown) => reason);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await slow.close();
    expect(isLegacyIdpError(await settled, 'ERR_LEGACY_IDP_CLOSED')).toBe(true);
    await expect(slow.write(itemsFor(setup.emulator, 1))).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CLOSED' });

    const stopping = new AbortController();
    const another = graphSink({ graph: setup.client, pacer: createPacer() });
    const inFlight = another.write(itemsFor(setup.emulator, 1), stopping.signal).catch((reason: unknown) => reason);
    await new Promise((resolve) => setTimeout(resolve, 50));
    stopping.abort(new Error('ctrl-c'));
    expect(isLegacyIdpError(await inFlight, 'ERR_LEGACY_IDP_DEADLINE_EXCEEDED')).toBe(true);
    await another.close();
  });
});

describe('graphSink: case twins in writes in flight at once (real time)', () => {
  const until = async (ready: () => boolean): Promise<void> => {
    while (!ready()) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('answers duplicate_identity for an existed whose object a write not answered yet created', async () => {
    // Item 1 (ANN@) is throttled for 0.3 s; item 4 (the creator's companion) briefly, and its retry is then held
    // back until ANN@ has its answer: the creator's write is still open when ANN@'s retry conflicts with the user
    // ann@ created meanwhile. (Held by the test, not by a long Retry-After: a long one pauses the sink's pacer too,
    // and on a loaded machine ANN@'s retry then went out after the creator's write had been answered.)
    const emulator = await emulatorWith({ writeQuota: null, resourceUnitQuota: null, faults: { batchItem: { on: [1, 4], retryAfter: (n) => (n === 1 ? '0.3' : '0.05') } } });
    const { client } = emulatorClient(emulator, { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) });
    const companion = itemFor(emulator);
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let companionSent = 0;
    const holding: typeof client = {
      ...client,
      batch: async (requests, options) => {
        if (requests.some((request) => JSON.stringify(request.body).includes(`"${companion.identity.issuerAssignedId}"`)) && companionSent++ > 0) await held;
        return client.batch(requests, options);
      },
    };
    const sink = graphSink({ graph: holding, pacer: createPacer() });
    const email = uniqueEmail('twin');
    const upper = itemFor(emulator, { email: email.toUpperCase() });
    const lower = itemFor(emulator, { email });
    const first = sink.write([upper, itemFor(emulator)]);
    await until(() => emulator.summary().batchItemCount >= 2);
    const second = sink.write([lower, companion]);
    const firstOutcomes = await first;
    release();
    const secondOutcomes = await second;
    const owner = [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === email));
    expect(secondOutcomes[0]).toEqual({ status: 'created', objectId: owner?.id });
    expect(firstOutcomes[0]).toMatchObject({ status: 'failed', code: 'duplicate_identity', retryable: false });
    expect((firstOutcomes[0] as { reason: string }).reason).toContain(`legacy user ${lower.subjectId}`);
    expect(sink.stats()).toMatchObject({ created: 3, existed: 0, failed: 1 });
    await sink.close();
  });

  it('turns an existed of a write not answered yet into duplicate_identity when the create it met is answered later', async () => {
    // ann@'s create is made at once, but its answer is held back until ANN@'s conflict was looked up.
    const emulator = await emulatorWith({ writeQuota: null, resourceUnitQuota: null, faults: { batchItem: { on: [3], retryAfter: '1' } } });
    const { client } = emulatorClient(emulator, { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) });
    const email = uniqueEmail('late-twin');
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holding: typeof client = {
      ...client,
      batch: async (requests, options) => {
        const answers = await client.batch(requests, options);
        if (requests.some((request) => JSON.stringify(request.body).includes(`"${email}"`))) await held;
        return answers;
      },
    };
    const sink = graphSink({ graph: holding, pacer: createPacer() });
    const lower = itemFor(emulator, { email });
    const upper = itemFor(emulator, { email: email.toUpperCase() });
    const second = sink.write([lower]);
    await until(() => emulator.users.size === 1);
    // ANN@ conflicts and is looked up; its companion (item 3) is throttled for 1 s, so its write stays open.
    const first = sink.write([upper, itemFor(emulator)]);
    await until(() => emulator.requests.some((entry) => entry.kind === 'graph' && entry.method === 'GET'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    const [firstOutcomes, secondOutcomes] = await Promise.all([first, second]);
    const owner = [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === email));
    expect(secondOutcomes[0]).toEqual({ status: 'created', objectId: owner?.id });
    expect(firstOutcomes[0]).toMatchObject({ status: 'failed', code: 'duplicate_identity' });
    expect(firstOutcomes[1]).toMatchObject({ status: 'created' });
    expect(sink.stats()).toMatchObject({ created: 2, existed: 0, failed: 1 });
    await sink.close();
  });
});

describe('graphSink under a scaled-down quota (real time)', () => {
  /** 600 users, engine-style: writes of 20, four in flight. */
  async function migrate600(pacerOptions: PacerOptions, sinkOptions: Partial<GraphSinkOptions> = {}) {
    // 100 writes per 0.5 s (200/s) and 1,000 RU per 0.5 s: the documented quotas, scaled down in time.
    const emulator = await emulatorWith({ writeQuota: { limit: 100, windowMs: 500 }, resourceUnitQuota: { limit: 1000, windowMs: 500 } });
    const { client } = emulatorClient(emulator, { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) });
    const pacer = createPacer(pacerOptions);
    const sink = graphSink({ graph: client, pacer, ...sinkOptions });
    const items = itemsFor(emulator, 600);
    const chunks = Array.from({ length: 30 }, (_, index) => items.slice(index * 20, index * 20 + 20));
    const outcomes: ItemOutcome[][] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let index = next++; index < chunks.length; index = next++) outcomes[index] = await sink.write(chunks[index] ?? []);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await sink.close();
    return { emulator, items, outcomes: outcomes.flat(), seconds, pacer, sink };
  }

  function expectNoneLostOrDuplicated(run: Awaited<ReturnType<typeof migrate600>>): void {
    expect(run.emulator.users.size).toBe(600);
    const identities = [...run.emulator.users.values()].map((user) => user.identities[0]?.issuerAssignedId.toLowerCase());
    expect(new Set(identities).size).toBe(600);
    expect(new Set(identities)).toEqual(new Set(run.items.map((item) => item.identity.issuerAssignedId.toLowerCase())));
    expectCreatedOnce(run.emulator, run.items, run.outcomes);
    // Every 201 in the log belongs to a distinct user: nothing was created twice.
    expect(run.emulator.requests.filter((entry) => entry.kind === 'batch-item' && entry.status === 201)).toHaveLength(600);
  }

  const share = (run: Awaited<ReturnType<typeof migrate600>>): string => {
    const summary = run.emulator.summary();
    return `${summary.throttledCount} of ${summary.batchItemCount} creates throttled (${((100 * summary.throttledCount) / summary.batchItemCount).toFixed(2)}%), ${run.seconds.toFixed(2)} s`;
  };

  it('migrates 600 users with a pacer sized to the quota: none lost or duplicated', async ({ annotate }) => {
    const run = await migrate600({ writesPerWindow: 100, windowMs: 500, resourceUnitsPerWindow: 1000, resourceUnitWindowMs: 500 });
    expectNoneLostOrDuplicated(run);
    await annotate(`paced to the quota: ${share(run)}`);
  });

  it('migrates 600 users with a pacer that believes the quota is twice what it is: throttled, still none lost or duplicated', async ({ annotate }) => {
    const run = await migrate600({ writesPerWindow: 200, windowMs: 500, resourceUnitsPerWindow: 2000, resourceUnitWindowMs: 500 }, { maxItemAttempts: 20, backoffBaseMs: 50 });
    expectNoneLostOrDuplicated(run);
    expect(run.emulator.summary().throttledCount).toBeGreaterThan(0);
    expect(run.pacer.stats().throttled).toBe(run.emulator.summary().throttledCount);
    await annotate(`pacer at 2x the quota: ${share(run)}`);
  });
});
