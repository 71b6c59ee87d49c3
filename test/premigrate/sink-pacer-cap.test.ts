import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultMaxRetryAfterMs } from '../../src/graph/client.js';
import { buildLocalAccountUser, createGraphClient, generateCompliantPassword } from '../../src/graph/index.js';
import { graphSink } from '../../src/premigrate/graph-sink.js';
import type { Pacer } from '../../src/premigrate/pacer.js';
import type { MigrationItem } from '../../src/premigrate/types.js';
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from '../harness/graph-emulator.js';
import { emulatorEndpoints } from '../graph/helpers.js';

/**
 * The pacer a Graph sink builds for itself (no `pacer` given) pauses as long as the sink's own maxRetryAfterMs,
 * as the CLI's pacer does (it is given the same value): a library user who raises the cap to wait out a long
 * Retry-After gets a pause of that length, not one cut off at the pacer's default 5 minutes while the throttled
 * item still waits. The pacers are the real ones; the module is wrapped only to see the one the sink made.
 */

const made = vi.hoisted(() => ({ pacers: [] as Pacer[] }));
vi.mock('../../src/premigrate/pacer.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/premigrate/pacer.js')>();
  return {
    ...actual,
    createPacer: (...args: Parameters<typeof actual.createPacer>): Pacer => {
      const pacer = actual.createPacer(...args);
      made.pacers.push(pacer);
      return pacer;
    },
  };
});

const open: GraphEmulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((emulator) => emulator.close()));
  made.pacers.length = 0;
});

async function emulatorGraph(faults: NonNullable<GraphEmulatorOptions['faults']>) {
  const emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com', faults });
  open.push(emulator);
  return { emulator, graph: createGraphClient({ ...emulatorEndpoints(emulator), backoffBaseMs: 10, backoffMaxMs: 50, maxRetries: 1 }) };
}

let counter = 0;
function items(count: number): MigrationItem[] {
  return Array.from({ length: count }, () => {
    const email = `pace${++counter}@legacy.example`;
    const payload = buildLocalAccountUser({ tenant: 'contoso.onmicrosoft.com', issuerAssignedId: email, password: generateCompliantPassword() });
    return { subjectId: email, identity: payload.identities[0], payload, password: 'generated' as const };
  });
}

function onlyPacer(): Pacer {
  expect(made.pacers).toHaveLength(1);
  return made.pacers[0] as Pacer;
}

describe("the Graph sink's own pacer", () => {
  it('pauses for a waited-out Retry-After over 5 minutes as long as the sink waits (maxRetryAfterMs 600000, Retry-After 400 s)', async () => {
    const { graph } = await emulatorGraph({ batchItem: { on: [1], status: 429, retryAfter: '400' } });
    let pausedMs: number | undefined;
    let waiting!: () => void;
    const reached = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const sink = graphSink({
      graph,
      maxRetryAfterMs: 600_000,
      // The throttled item's wait: the pacer has paused by now. It lasts until close() aborts it.
      sleep: (ms, signal) => {
        if (ms === 400_000) {
          pausedMs = onlyPacer().stats().pausedMs;
          waiting();
        }
        return new Promise((resolve) => {
          signal?.addEventListener('abort', () => {
            resolve();
          }, { once: true });
        });
      },
    });
    const writing = sink.write(items(2));
    writing.catch(() => undefined);
    await reached;
    await sink.close();
    await expect(writing).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CLOSED' });
    // Not cut off at the default 300000 ms: the next batch goes when Graph said it may.
    expect(pausedMs).toBeGreaterThan(399_000);
    expect(pausedMs).toBeLessThanOrEqual(400_000);
  });

  it('caps its pauses at the sink\'s maxRetryAfterMs, and at the shared default without one', () => {
    const graph = createGraphClient({ tenantId: 'contoso.onmicrosoft.com', clientId: 'app', clientSecret: 'unused' });
    const raised = graphSink({ graph, maxRetryAfterMs: 600_000 });
    onlyPacer().backOff(99_999_999);
    expect(onlyPacer().stats().pausedMs).toBeGreaterThan(599_000);
    expect(onlyPacer().stats().pausedMs).toBeLessThanOrEqual(600_000);
    made.pacers.length = 0;

    const plain = graphSink({ graph });
    onlyPacer().backOff(99_999_999);
    expect(onlyPacer().stats().pausedMs).toBeGreaterThan(defaultMaxRetryAfterMs - 1_000);
    expect(onlyPacer().stats().pausedMs).toBeLessThanOrEqual(defaultMaxRetryAfterMs);
    expect(defaultMaxRetryAfterMs).toBe(300_000);
    void raised.close();
    void plain.close();
  });

  it('does not pause for a Retry-After over a lower cap: the item fails retryable at once (maxRetryAfterMs 1000, Retry-After 5 s)', async () => {
    const { graph, emulator } = await emulatorGraph({ batchItem: { on: [1], status: 429, retryAfter: '5' } });
    const sink = graphSink({ graph, maxRetryAfterMs: 1000 });
    try {
      const outcomes = await sink.write(items(2));
      expect(outcomes.map((outcome) => (outcome.status === 'failed' ? outcome.code : outcome.status))).toEqual(['retry_after_too_long', 'created']);
      expect(onlyPacer().stats().pausedMs).toBe(0);
      expect(emulator.summary().batchItemCount).toBe(2);
    } finally {
      await sink.close();
    }
  });
});
