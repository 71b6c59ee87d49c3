import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { CredentialVerifier } from '../../src/core/contracts.js';
import { callDeadline, deadlineExceeded, deadlineSignal } from '../../src/core/deadline.js';

// Node fires a timer longer than 2^31-1 ms (about 24.8 days) after 1 ms, with a TimeoutOverflowWarning; such a
// deadline must wait its whole budget instead of passing at once.
const oneTimer = 2 ** 31 - 1;
const longBudgets = [2 ** 31, 30 * 86_400_000, Number.MAX_SAFE_INTEGER];

const later = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => {
    setTimeout(() => {
      resolve(value);
    }, ms);
  });

/** Collects the TimeoutOverflowWarnings emitted while `run` runs (warnings are emitted on a later tick). */
async function overflowWarnings(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (warning: Error): void => {
    if (warning.name === 'TimeoutOverflowWarning') seen.push(warning.message);
  };
  process.on('warning', listener);
  try {
    await run();
    await later(5, undefined);
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('millisecond deadlines longer than one Node timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(longBudgets)('callDeadline(%d) does not pass early', async (budget) => {
    const warnings = await overflowWarnings(async () => {
      const deadline = callDeadline(budget, undefined);
      expect(await deadline.race(later(30, 'answer'))).toBe('answer');
      expect(deadline.signal?.aborted).toBe(false);
      deadline.dispose();
    });
    expect(warnings).toEqual([]);
  });

  it.each(longBudgets)('deadlineSignal(%d) is neither refused nor aborted early', async (budget) => {
    const warnings = await overflowWarnings(async () => {
      const signal = deadlineSignal(budget, undefined);
      await later(30, undefined);
      expect(signal?.aborted).toBe(false);
    });
    expect(warnings).toEqual([]);
  });

  it.each(longBudgets)('an Authenticator call with deadline %d gets its answer, not unavailable/deadline', async (budget) => {
    // A verifier that takes 20 ms: longer than the 1 ms such a timer used to last.
    const verifier: CredentialVerifier = { name: 'slow', verify: () => later(20, { status: 'invalid', reason: 'wrong_password' } as const) };
    const { outcome } = await createAuthenticator({ verifier }).authenticate({ username: 'alice', password: 'Canary-Secret-1!', deadline: budget });
    expect(outcome.status).toBe('invalid');
  });

  it('still passes once the whole budget is spent, in steps of one timer', async () => {
    // vitest's fake timers clamp an over-long delay to 1 ms as Node does, so this also shows the steps are needed.
    vi.useFakeTimers();
    const budget = 2 * oneTimer + 1_000;
    const deadline = callDeadline(budget, undefined);
    const signal = deadlineSignal(budget, undefined);
    const late = deadline.race(new Promise<never>(() => undefined));
    await vi.advanceTimersByTimeAsync(2 * oneTimer);
    expect(deadline.signal?.aborted).toBe(false);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await late).toBe(deadlineExceeded);
    expect(deadline.signal?.aborted).toBe(true);
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as DOMException).name).toBe('TimeoutError');
    deadline.dispose();
  });
});
