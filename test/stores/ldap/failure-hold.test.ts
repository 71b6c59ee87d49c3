import { describe, expect, it } from 'vitest';
import { callDeadline, plannedAbortTime } from '../../../src/core/deadline.js';
import { createFailureHold, type FailureHoldOptions } from '../../../src/stores/ldap/failure-hold.js';

/** A hold on a clock the test moves: every sleep is recorded and advances the clock by what it waited. */
function heldOn(options: Partial<FailureHoldOptions> = {}) {
  let time = 1_000;
  const clock: { deadline: number | undefined } = { deadline: undefined };
  const sleeps: number[] = [];
  const hold = createFailureHold({
    maxHoldMs: 1_000,
    halfLifeMs: 60_000,
    marginMs: 50,
    now: () => time,
    sleep: (ms) => {
      sleeps.push(ms);
      time += ms;
      return Promise.resolve();
    },
    deadlineOf: () => clock.deadline,
    ...options,
  });
  /** A bind that took `ms`: returns when it started. */
  const bind = (ms: number): number => {
    const startedAt = time;
    time += ms;
    return startedAt;
  };
  return Object.assign(clock, { hold, bind, sleeps, advance: (ms: number) => (time += ms), now: () => time });
}

describe('LDAP failure hold', () => {
  it('holds a fast failure until it took as long as the slowest bind lately', async () => {
    const { hold, bind, sleeps } = heldOn();
    hold.observe(bind(5)); // a wrong password for an existing entry
    const unknown = bind(1);
    hold.observe(unknown);
    await hold.hold(unknown, undefined);
    // 4 ms, less the floor's decay over the 1 ms since it was set.
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeCloseTo(4, 3);
  });

  it('a failure as slow as the floor is not held', async () => {
    const { hold, bind, sleeps } = heldOn();
    hold.observe(bind(5));
    const known = bind(6);
    hold.observe(known);
    await hold.hold(known, undefined);
    expect(sleeps).toEqual([]);
  });

  it('an enumerating attacker cannot pull the floor down with fast failures of made-up names', () => {
    const { hold, bind } = heldOn();
    hold.observe(bind(6));
    for (let i = 0; i < 1_000; i++) hold.observe(bind(1));
    // 1,000 fast failures (about a second) later the floor is still the known bind's (decayed by ~1 %).
    expect(hold.floorMs()).toBeGreaterThan(5.9);
  });

  it('the floor halves every half-life once binds are quick again', () => {
    const { hold, bind, advance } = heldOn();
    hold.observe(bind(800));
    advance(60_000);
    expect(hold.floorMs()).toBeCloseTo(400, 6);
    advance(120_000);
    expect(hold.floorMs()).toBeCloseTo(100, 6);
  });

  it('a bind slower than the cap raises the floor only to the cap', async () => {
    const { hold, bind, sleeps } = heldOn({ maxHoldMs: 1_000 });
    hold.observe(bind(4_000)); // a directory frozen during the bind
    expect(hold.floorMs()).toBe(1_000);
    const next = bind(2);
    await hold.hold(next, undefined);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeCloseTo(998, 1);
  });

  it('never holds into the caller deadline: the hold ends the margin before it', async () => {
    const clock = heldOn();
    const { hold, bind, sleeps, now } = clock;
    hold.observe(bind(1_500)); // a frozen directory: the floor is the cap, 1 s
    clock.deadline = now() + 300;
    await hold.hold(bind(2), AbortSignal.timeout(60_000));
    expect(sleeps).toEqual([300 - 2 - 50]);
  });

  it('a failure that comes back within the margin of the deadline is not held at all', async () => {
    const clock = heldOn();
    const { hold, bind, sleeps, now } = clock;
    hold.observe(bind(1_500));
    clock.deadline = now() + 60;
    await hold.hold(bind(20), AbortSignal.timeout(60_000));
    expect(sleeps).toEqual([]);
  });

  it('an aborted signal ends the hold at once', async () => {
    const { hold, bind, sleeps } = heldOn();
    hold.observe(bind(500));
    const controller = new AbortController();
    controller.abort();
    await hold.hold(bind(1), controller.signal);
    expect(sleeps).toEqual([]);
  });

  it('the real timer wakes up when the signal aborts mid-hold', async () => {
    let time = 0;
    const hold = createFailureHold({ maxHoldMs: 60_000, now: () => time });
    time = 60_000;
    hold.observe(0); // a bind that took a minute: the floor is a minute
    const controller = new AbortController();
    const held = hold.hold(time, controller.signal);
    let ended = false;
    void held.then(() => (ended = true));
    await Promise.resolve();
    expect(ended).toBe(false);
    controller.abort();
    await held;
    expect(ended).toBe(true);
  });
});

describe('plannedAbortTime', () => {
  it('knows when a deadline made from a budget aborts, and nothing about a caller-made signal', () => {
    const before = performance.now();
    const deadline = callDeadline(800, undefined);
    const abortsAt = plannedAbortTime(deadline.signal);
    deadline.dispose();
    expect(abortsAt).toBeGreaterThanOrEqual(before + 800);
    expect(abortsAt).toBeLessThanOrEqual(performance.now() + 800);
    expect(plannedAbortTime(new AbortController().signal)).toBeUndefined();
    expect(plannedAbortTime(undefined)).toBeUndefined();
  });
});
