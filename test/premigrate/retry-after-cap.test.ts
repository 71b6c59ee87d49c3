import { afterEach, describe, expect, it } from 'vitest';
import { buildLocalAccountUser, createGraphClient, generateCompliantPassword } from '../../src/graph/index.js';
import { defaultSleep, maxTimerMs } from '../../src/graph/retry.js';
import { graphSink, type GraphSinkOptions } from '../../src/premigrate/graph-sink.js';
import { createPacer } from '../../src/premigrate/pacer.js';
import type { MigrationItem } from '../../src/premigrate/types.js';
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from '../harness/graph-emulator.js';
import { emulatorEndpoints } from '../graph/helpers.js';

/**
 * A Retry-After longer than maxRetryAfterMs (default 5 minutes, as the Graph client's) is not waited out on the
 * sink and pacer path either: the item fails at once (retryable, `retry_after_too_long`), the pacer does not
 * pause, and no timer is armed beyond what Node can hold (a longer one fires after 1 ms, with a
 * TimeoutOverflowWarning each time: a busy loop that floods stderr).
 */

const open: GraphEmulator[] = [];
const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(`${warning.name}: ${warning.message}`);
};
process.on('warning', onWarning);
afterEach(async () => {
  await Promise.all(open.splice(0).map((emulator) => emulator.close()));
  warnings.length = 0;
});

async function setup(faults: NonNullable<GraphEmulatorOptions['faults']>, caps: { client?: number; sink?: number } = {}) {
  const emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com', faults });
  open.push(emulator);
  const graph = createGraphClient({
    ...emulatorEndpoints(emulator),
    backoffBaseMs: 10,
    backoffMaxMs: 50,
    maxRetries: 1,
    ...(caps.client === undefined ? {} : { maxRetryAfterMs: caps.client }),
  });
  const pacer = createPacer(caps.sink === undefined ? {} : { maxBackOffMs: caps.sink });
  const options: GraphSinkOptions = { graph, pacer, ...(caps.sink === undefined ? {} : { maxRetryAfterMs: caps.sink }) };
  return { emulator, pacer, sink: graphSink(options) };
}

let counter = 0;
function items(count: number): MigrationItem[] {
  return Array.from({ length: count }, () => {
    const email = `cap${++counter}@legacy.example`;
    const payload = buildLocalAccountUser({ tenant: 'contoso.onmicrosoft.com', issuerAssignedId: email, password: generateCompliantPassword() });
    return { subjectId: email, identity: payload.identities[0], payload, password: 'generated' as const };
  });
}

describe('a batch item answering 429 with a Retry-After over the cap', () => {
  const cases: Array<{ retryAfter: string; caps?: { sink: number } }> = [
    { retryAfter: '99999999' },
    { retryAfter: 'Fri, 01 Jan 2100 00:00:00 GMT' },
    { retryAfter: '3600', caps: { sink: 1000 } },
  ];
  for (const { retryAfter, caps } of cases) {
    it(`fails that item at once as retryable, creates the other, and does not pause (${retryAfter}${caps ? `, cap ${caps.sink} ms` : ''})`, async () => {
      const { emulator, pacer, sink } = await setup({ batchItem: { on: [1], status: 429, retryAfter } }, caps);
      try {
        const started = Date.now();
        const outcomes = await sink.write(items(2));
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(outcomes.filter((outcome) => outcome.status === 'created')).toHaveLength(1);
        const failed = outcomes.find((outcome) => outcome.status === 'failed');
        expect(failed).toMatchObject({ code: 'retry_after_too_long', retryable: true });
        expect(failed?.status === 'failed' ? failed.reason : '').toMatch(/longer than maxRetryAfterMs/u);
        expect(pacer.stats().pausedMs).toBe(0);
        expect(emulator.summary().batchItemCount).toBe(2);
        expect(warnings).toEqual([]);
      } finally {
        await sink.close();
      }
    });
  }

  it('a Retry-After under the cap is still waited out and the item created', async () => {
    const { sink } = await setup({ batchItem: { on: [1], status: 429, retryAfter: '0.2' } });
    try {
      const outcomes = await sink.write(items(2));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['created', 'created']);
    } finally {
      await sink.close();
    }
  });

  it('a whole $batch throttled with a Retry-After over the client and sink caps fails its items instead of hanging', async () => {
    const { sink } = await setup({ throttle: { on: [1], retryAfter: '3600' } }, { client: 1000, sink: 1000 });
    try {
      const started = Date.now();
      const outcomes = await sink.write(items(3));
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(outcomes.map((outcome) => (outcome.status === 'failed' ? outcome.code : outcome.status))).toEqual(['retry_after_too_long', 'retry_after_too_long', 'retry_after_too_long']);
      expect(warnings).toEqual([]);
    } finally {
      await sink.close();
    }
  });
});

describe('timers', () => {
  it('the pacer pauses at most maxBackOffMs, whatever Retry-After said', () => {
    const pacer = createPacer();
    pacer.backOff(99_999_999);
    expect(pacer.stats().pausedMs).toBeLessThanOrEqual(300_000);
    const small = createPacer({ maxBackOffMs: 1000 });
    small.backOff(3600);
    expect(small.stats().pausedMs).toBeLessThanOrEqual(1000);
    small.backOff(Number.POSITIVE_INFINITY);
    expect(small.stats().pausedMs).toBeLessThanOrEqual(1000);
  });

  it('defaultSleep holds a wait longer than a timer can (no overflow warning, no early wake) until aborted', async () => {
    const controller = new AbortController();
    let woke = false;
    const sleeping = defaultSleep(2 ** 40, controller.signal).then(() => {
      woke = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(woke).toBe(false);
    controller.abort();
    await sleeping;
    expect(woke).toBe(true);
    expect(warnings).toEqual([]);
    expect(maxTimerMs).toBe(2 ** 31 - 1);
  });
});
