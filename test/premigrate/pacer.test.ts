import { describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { createPacer, type PacerOptions } from '../../src/premigrate/pacer.js';

/** A fake clock whose sleep moves time forward: the pacer's waits are recorded, never slept. */
function fakeTime(start = 1_000_000): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[]; advance: (ms: number) => void } {
  let time = start;
  const sleeps: number[] = [];
  return {
    now: () => time,
    // Time moves when the sleep ends (a microtask later), so work resolved before the sleep sees the old time.
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve().then(() => {
        time += ms;
      });
    },
    sleeps,
    advance: (ms) => {
      time += ms;
    },
  };
}

/** latencyMs 0 unless given: exact bucket sizes make the arithmetic of these tests readable. */
function pacerOn(clock: ReturnType<typeof fakeTime>, options: PacerOptions = {}) {
  return createPacer({ now: clock.now, sleep: clock.sleep, latencyMs: 0, ...options });
}

/** Runs `acquisitions` acquire(size) calls at once; returns when and how much each was granted. */
async function grants(pacer: ReturnType<typeof createPacer>, clock: ReturnType<typeof fakeTime>, acquisitions: number, size: number): Promise<{ at: number; count: number }[]> {
  const granted: { at: number; count: number }[] = [];
  await Promise.all(
    Array.from({ length: acquisitions }, () =>
      pacer.acquire(size).then(() => {
        granted.push({ at: clock.now(), count: size });
      }),
    ),
  );
  return granted;
}

/** The most creates granted in any window [t, t + windowMs) that starts at a grant at or after `from`. */
function busiestWindow(granted: readonly { at: number; count: number }[], windowMs: number, from = Number.NEGATIVE_INFINITY): number {
  let most = 0;
  for (const start of granted) {
    if (start.at < from) continue;
    const inWindow = granted.filter((grant) => grant.at >= start.at && grant.at < start.at + windowMs).reduce((sum, grant) => sum + grant.count, 0);
    most = Math.max(most, inWindow);
  }
  return most;
}

describe('createPacer', () => {
  it('defaults to the documented quotas: 3,000 writes per 150 s, 3,500 RU per 10 s, a B2C create costs 5 RU', () => {
    const pacer = createPacer();
    const stats = pacer.stats();
    // Writes bind: 20 creates/s, against 700 RU/s / 5 = 70 creates/s.
    expect(stats.quotaCreatesPerSecond).toBeCloseTo(20, 10);
    expect(stats.createsPerSecond).toBeCloseTo(20, 10);
    expect(stats.rateFactor).toBe(1);
    // The RU bucket is the smaller burst: (3,500 RU less 1 s of refill, 350) / 5 RU per create.
    expect(stats.available).toBe(630);
    expect(stats).toMatchObject({ sent: 0, throttled: 0, pausedMs: 0, waiting: 0 });
  });

  it('keeps latencyMs of refill in reserve below each limit (at most half of it), and nothing else', async () => {
    const clock = fakeTime();
    const pacer = pacerOn(clock, { writesPerWindow: 300, windowMs: 1500, resourceUnitsPerWindow: 100_000, latencyMs: 50 });
    expect(pacer.stats().available).toBe(290); // 300 less 50 ms x 0.2/ms
    clock.advance(60_000);
    expect(pacer.stats().available).toBe(290); // never refills past it
    const granted = await grants(pacer, clock, 30, 20);
    // The steady rate is still the quota's: 14 batches at once (280, 10 left over), the 16 others at 200/s:
    // 50 ms for the first (10 missing), 100 ms for each after it.
    expect(granted.at(-1)?.at).toBe(clock.now());
    expect(clock.now() - 1_000_000 - 60_000).toBe(50 + 15 * 100);
    expect(createPacer({ writesPerWindow: 300, windowMs: 1500, latencyMs: 10_000 }).stats().available).toBe(150);
  });

  it('rejects bad options with one readable message', () => {
    expect(() => createPacer({ windowMs: 0 })).toThrow(/createPacer: invalid value at "windowMs"/u);
    expect(() => createPacer({ writesPerWindows: 10 } as PacerOptions)).toThrow(/unknown key "writesPerWindows"/u);
    try {
      createPacer({ initialFill: 2 });
    } catch (error) {
      expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_INVALID')).toBe(true);
    }
  });

  it('refuses an acquire that could never be granted', async () => {
    const pacer = createPacer({ writesPerWindow: 10, latencyMs: 0 });
    expect(pacer.maxAcquire).toBe(10);
    expect(createPacer().maxAcquire).toBe(630);
    await expect(pacer.acquire(11)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
    await expect(pacer.acquire(0)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
    await expect(pacer.acquire(1.5)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
  });

  it('never grants more than the quota in a window under continuous demand (empty start)', async () => {
    const clock = fakeTime();
    const pacer = pacerOn(clock, { writesPerWindow: 300, windowMs: 1500, resourceUnitsPerWindow: 100_000, initialFill: 0 });
    const granted = await grants(pacer, clock, 100, 20); // 2,000 creates, over 6 windows
    expect(busiestWindow(granted, 1500)).toBeLessThanOrEqual(300);
    const last = granted.at(-1);
    // ...and no slower than the quota either: 2,000 creates at 200/s take 10 s.
    expect(last?.at).toBe(1_000_000 + 10_000);
    expect(pacer.stats().sent).toBe(2000);
  });

  it('bursts once from a full bucket, then holds the quota; any interval stays within bucket + rate x time', async () => {
    const clock = fakeTime();
    const pacer = pacerOn(clock, { writesPerWindow: 300, windowMs: 1500, resourceUnitsPerWindow: 100_000 });
    const granted = await grants(pacer, clock, 100, 20);
    const firstWait = granted.find((grant) => grant.at > 1_000_000)?.at ?? Number.POSITIVE_INFINITY;
    expect(granted.filter((grant) => grant.at === 1_000_000).reduce((sum, grant) => sum + grant.count, 0)).toBe(300);
    expect(busiestWindow(granted, 1500, firstWait)).toBeLessThanOrEqual(300);
    // The token-bucket bound the service enforces: creates in [a, b] <= capacity + rate * (b - a).
    for (const a of granted) {
      for (const b of granted) {
        if (b.at < a.at) continue;
        const inInterval = granted.filter((grant) => grant.at >= a.at && grant.at <= b.at).reduce((sum, grant) => sum + grant.count, 0);
        expect(inInterval).toBeLessThanOrEqual(300 + (300 / 1500) * (b.at - a.at) + 1e-9);
      }
    }
  });

  it('paces on resource units when they bind (B2C create = 5 RU)', async () => {
    const clock = fakeTime();
    const pacer = pacerOn(clock, { writesPerWindow: 100_000, windowMs: 1000, resourceUnitsPerWindow: 500, resourceUnitWindowMs: 1000, initialFill: 0 });
    expect(pacer.stats().quotaCreatesPerSecond).toBeCloseTo(100, 10); // 500 RU/s / 5
    const granted = await grants(pacer, clock, 30, 20);
    expect(busiestWindow(granted, 1000)).toBeLessThanOrEqual(100);
    const plain = pacerOn(fakeTime(), { b2c: false, writesPerWindow: 100_000, windowMs: 1000, resourceUnitsPerWindow: 500, resourceUnitWindowMs: 1000 });
    expect(plain.stats().quotaCreatesPerSecond).toBeCloseTo(500, 10);
  });

  it('serves waiters first come, first served', async () => {
    const clock = fakeTime();
    const pacer = pacerOn(clock, { writesPerWindow: 20, windowMs: 1000, resourceUnitsPerWindow: 100_000, initialFill: 0 });
    const order: string[] = [];
    await Promise.all([
      pacer.acquire(20).then(() => order.push('big')),
      pacer.acquire(1).then(() => order.push('small')),
    ]);
    expect(order).toEqual(['big', 'small']);
  });

  it('backOff pauses everyone for the largest Retry-After, fractions kept, then resumes at the steady rate', async () => {
    const clock = fakeTime();
    const pacer = pacerOn(clock, { writesPerWindow: 300, windowMs: 1500, resourceUnitsPerWindow: 100_000 });
    expect(pacer.stats().available).toBe(300);
    pacer.backOff(1.128);
    pacer.backOff(0.5); // shorter: the longer pause stands
    expect(pacer.stats().pausedMs).toBe(1128);
    expect(pacer.stats().available).toBe(0);
    const start = clock.now();
    await pacer.acquire(1);
    expect(clock.now() - start).toBe(1128);
    // The bucket was emptied by the 429: what refilled during the pause (200/s x 1.128 s) is all there is.
    expect(pacer.stats().available).toBe(Math.floor(1.128 * 200) - 1);
    pacer.backOff(3);
    const again = clock.now();
    await pacer.acquire(20);
    expect(clock.now() - again).toBe(3000);
  });

  it('observe() counts 429s and leaves a run alone while its own use explains the reported percentage', async () => {
    const clock = fakeTime();
    const pacer = pacerOn(clock, { writesPerWindow: 300, windowMs: 1500, resourceUnitsPerWindow: 100_000 });
    await pacer.acquire(291); // 97% of the bucket used by this run
    pacer.observe({ status: 201, limitPercentage: 0.97 });
    pacer.observe({ status: 201, limitPercentage: 1 }); // within the tolerance: lag and rounding
    pacer.observe({ status: 429 });
    pacer.observe({ status: 429, limitPercentage: 0.85 });
    const stats = pacer.stats();
    expect(stats.rateFactor).toBe(1);
    expect(stats.available).toBe(9);
    expect(stats.throttled).toBe(2);
    expect(stats.sent).toBe(291);
  });

  it('observe() slows down proportionally when the service reports more than 90% used that the pacer cannot account for', async () => {
    const clock = fakeTime();
    const pacer = pacerOn(clock, { writesPerWindow: 300, windowMs: 1500, resourceUnitsPerWindow: 100_000 });
    await pacer.acquire(240); // 80% used by this run
    pacer.observe({ limitPercentage: 0.95 }); // 15 points used by someone else
    let stats = pacer.stats();
    expect(stats.rateFactor).toBeCloseTo(0.85, 10);
    expect(stats.createsPerSecond).toBeCloseTo(200 * 0.85, 10);
    expect(stats.available).toBe(15); // what the service says is left: 5% of 300
    // Slower refill: 20 more creates take 20 / (200 x 0.85) s (a little less: the rate recovers meanwhile).
    const start = clock.now();
    await pacer.acquire(35);
    const waited = clock.now() - start;
    expect(waited).toBeGreaterThan(100);
    expect(waited).toBeLessThanOrEqual(Math.ceil(20 / (0.2 * 0.85)));
    // Over 90% but explained by this run's own use: no further slow-down.
    pacer.observe({ limitPercentage: 0.99 });
    expect(pacer.stats().rateFactor).toBeGreaterThan(0.85);
    // A much larger unexplained share is floored at minRateFactor, and the rate climbs back over one window.
    const fresh = pacerOn(clock, { writesPerWindow: 300, windowMs: 1500, resourceUnitsPerWindow: 100_000 });
    fresh.observe({ limitPercentage: 1.2 });
    stats = fresh.stats();
    expect(stats.rateFactor).toBe(0.25);
    expect(stats.available).toBe(0);
    clock.advance(750);
    expect(fresh.stats().rateFactor).toBeCloseTo(0.625, 10);
    clock.advance(750);
    expect(fresh.stats().rateFactor).toBe(1);
    // Below the threshold nothing changes, however little this run used.
    const idle = pacerOn(clock, { writesPerWindow: 300, windowMs: 1500, resourceUnitsPerWindow: 100_000 });
    idle.observe({ limitPercentage: 0.9 });
    expect(idle.stats()).toMatchObject({ rateFactor: 1, available: 300 });
  });

  it('an aborted acquire rejects with DEADLINE_EXCEEDED and the next waiter is served', async () => {
    const clock = fakeTime();
    // A sleep that only ends on abort or after the test moves on: the first waiter is stuck behind a pause.
    const pending: (() => void)[] = [];
    const pacer = createPacer({
      now: clock.now,
      sleep: (ms, signal) =>
        new Promise((resolve) => {
          const done = (): void => {
            clock.advance(signal?.aborted === true ? 0 : ms);
            resolve();
          };
          signal?.addEventListener('abort', done, { once: true });
          pending.push(done);
        }),
      writesPerWindow: 300,
      windowMs: 1500,
      resourceUnitsPerWindow: 100_000,
    });
    const already = new AbortController();
    already.abort(new Error('stop'));
    await expect(pacer.acquire(1, already.signal)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_DEADLINE_EXCEEDED' });

    pacer.backOff(10);
    const controller = new AbortController();
    const first = pacer.acquire(1, controller.signal);
    const second = pacer.acquire(1);
    expect(pacer.stats().waiting).toBe(2);
    controller.abort(new Error('deadline'));
    await expect(first).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_DEADLINE_EXCEEDED' });
    expect(pacer.stats().waiting).toBe(1);
    // The pump woke up for the next waiter, which still waits out the pause.
    await Promise.resolve();
    for (const done of pending.splice(0)) done();
    await second;
    expect(pacer.stats().sent).toBe(1);
  });
});
