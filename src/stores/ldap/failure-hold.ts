/**
 * The failure hold of the LDAP store (docs/stores/ldap.md, "Failed binds are held"). Directories answer a bind as
 * an unknown name sooner than a wrong password for an existing entry (Samba AD: 0.7 ms against 3.7 ms, both
 * `data 52e`), and in the bind-name modes the store cannot tell the two apart. So every failed bind is held until
 * it has taken as long as the slowest user bind lately: the floor.
 *
 * Rules, and why:
 * - Only the bind is timed, from the moment it has a connection: a wait for a pooled connection says nothing about
 *   the account, and under load it made every later failure wait as long as the queue had.
 * - The floor is a maximum that decays slowly (half-life `halfLifeMs`), fed by completed user binds. Fast failures
 *   of made-up names cannot pull a maximum down, so an enumerating attacker's own traffic does not shorten the
 *   hold (a percentile of recent failures did: with 19 unknown names per known one, it held nothing).
 * - It is capped at `maxHoldMs`: a frozen or overloaded directory must not make every failure wait for seconds.
 * - A hold never runs into the caller's deadline: it ends `marginMs` before the deadline's signal aborts, so the
 *   failure is answered, and counted by the lockout, in time. A held answer that missed the deadline was
 *   `unavailable`, which the lockout takes back, while the right password, never held, answered `valid` in time:
 *   unlimited guesses. When the caller's signal aborts (its deadline unknown to us), the hold ends at once.
 */
import { abortableSleep, plannedAbortTime } from '../../core/deadline.js';

export interface FailureHoldOptions {
  /** The longest hold, and the highest the floor goes. */
  maxHoldMs: number;
  /** How fast the floor falls back once binds are quick again (halves every `halfLifeMs`). */
  halfLifeMs?: number;
  /** How long before the caller's deadline a hold ends: the Authenticator still reserves and records after it. */
  marginMs?: number;
  /** Monotonic milliseconds; `performance.now` unless a test drives the clock. */
  now?: () => number;
  /** Waits `ms`, or less when `signal` aborts; a timer unless a test drives it. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** When the caller's signal aborts, when known (`performance.now()` time); the deadline's own record by default. */
  deadlineOf?: (signal: AbortSignal | undefined) => number | undefined;
}

export interface FailureHold {
  /** The clock the hold runs on: read it when a bind gets its connection. */
  now(): number;
  /** A user bind that started at `startedAt` has finished (any answer from the directory): it feeds the floor. */
  observe(startedAt: number): void;
  /** Holds a failed bind that started at `startedAt` up to the floor, never past the cap or the caller's deadline. */
  hold(startedAt: number, signal: AbortSignal | undefined): Promise<void>;
  /** The current floor in milliseconds. */
  floorMs(): number;
}

/** A minute: long enough that an attacker pausing between probes still meets a floor set by slower binds. */
const defaultHalfLifeMs = 60_000;
/** One lockout-store round trip after the verifier answers (the Authenticator's subject reservation). */
const defaultMarginMs = 50;

export function createFailureHold(options: FailureHoldOptions): FailureHold {
  const { maxHoldMs } = options;
  const halfLifeMs = options.halfLifeMs ?? defaultHalfLifeMs;
  const marginMs = options.marginMs ?? defaultMarginMs;
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? abortableSleep;
  const deadlineOf = options.deadlineOf ?? plannedAbortTime;
  // The floor is `peak` halved every halfLifeMs since `peakAt`: one number and one time, whatever the traffic.
  let peak = 0;
  let peakAt = 0;

  const floorAt = (time: number): number => (peak === 0 ? 0 : peak * 2 ** (-Math.max(0, time - peakAt) / halfLifeMs));

  return {
    now,
    observe(startedAt) {
      const time = now();
      const took = Math.min(Math.max(0, time - startedAt), maxHoldMs);
      if (took >= floorAt(time)) {
        peak = took;
        peakAt = time;
      }
    },
    async hold(startedAt, signal) {
      const time = now();
      let until = startedAt + floorAt(time);
      const deadline = deadlineOf(signal);
      if (deadline !== undefined) until = Math.min(until, deadline - marginMs);
      const wait = until - time;
      if (wait > 0 && signal?.aborted !== true) await sleep(wait, signal);
    },
    floorMs: () => floorAt(now()),
  };
}
