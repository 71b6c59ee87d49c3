import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuthenticator, type Authenticator } from '../core/authenticator.js';
import type { CredentialVerifier } from '../core/contracts.js';
import { outcomeProblem, type VerifyOutcome } from '../core/outcome.js';
import {
  assertNoSecret,
  injectionUsernames,
  randomUnknownUsername,
  withComponent,
  type ConformanceCase,
  type FixtureUser,
} from './conformance.js';

export interface CredentialVerifierConformanceOptions {
  /** Builds a fresh verifier for one case; it is closed after the case. */
  create: () => CredentialVerifier | Promise<CredentialVerifier>;
  /** An active user the store holds. Its password should be at least 8 characters. */
  validUser: FixtureUser;
  /** A second active user, to prove one user's password never opens another account. */
  otherUser: FixtureUser;
  /** A disabled user with its (correct) password, when the store has the notion. */
  disabledUser?: FixtureUser;
  /** A user with a non-ASCII password (é, ß, emoji...), when the store can hold one. */
  unicodeUser?: FixtureUser;
  /** Builds a verifier whose backend is down (stopped server, closed port). */
  createUnavailable?: () => CredentialVerifier | Promise<CredentialVerifier>;
  /**
   * The store tells unknown users apart from wrong passwords. Stores that cannot (an LDAP DN-template
   * bind gets 49 for both) answer `invalid` for unknown users and set this to false.
   */
  reportsUnknownUsers?: boolean;
  /**
   * Unknown users cost about as much as known ones (through `dummyVerify` or the backend itself): an unknown
   * user's sign-in takes 0.8-1.25x a known user's wrong password, the target docs/benchmarks.md states. Measured
   * as medians of interleaved sign-ins, first a few, then more only if those disagree (docs/testing.md, "The
   * unknown-user cost case"). Set false only for a backend whose cost is outside the process.
   */
  equalizesUnknownUsers?: boolean;
  /**
   * A wrong password for a known user names the account (`subjectId`, the same as a right password gives), so
   * the Authenticator's lockout counts every spelling of that user together. Stores that find the user before
   * checking the password should; a store that cannot tell (a DN-template bind) leaves it out.
   */
  namesAccountOnWrongPassword?: boolean;
}

const failing: ReadonlySet<VerifyOutcome['status']> = new Set(['invalid', 'unknown_user']);

/** The rule the Authenticator holds every answer to (outcome.ts): a known status, a subjectId string, a typed error. */
function assertOutcomeShape(outcome: VerifyOutcome, where: string): void {
  const problem = outcomeProblem(outcome);
  assert.ok(problem === undefined, `${where}: the verifier ${problem ?? ''}`);
}

/**
 * docs/benchmarks.md's target: an unknown user's sign-in within 0.8-1.25x of a known user's wrong password. The
 * cost case holds verifiers to it; only on a machine too busy to measure does it settle for the gross band, which
 * still catches a missing dummy verification (~0x) and one several times cheaper than a real check.
 */
export const unknownUserCostBand = { low: 0.8, high: 1.25 } as const;
const grossCostBand = { low: 0.5, high: 2 } as const;
/** Interquartile range of the known user's samples over their median above which the machine counts as busy. */
const busySpread = 0.25;

interface CostSample {
  /** Median unknown-user time over median known-user time. */
  ratio: number;
  known: number;
  unknown: number;
  /** (p75 - p25) / median of the known user's times: how much the machine moved the measurement. */
  spread: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] ?? 0;
}

/**
 * `pairs` sign-ins of each kind, interleaved (known then unknown, then the other way round), so that load which
 * comes and goes falls on both alike; a fresh unknown name each time. Stops early, with at least `minPairs`, once
 * `budgetMs` is spent: a slow hash must not outlive the test runner's timeout.
 */
async function measureCost(authenticator: Authenticator, known: FixtureUser, pairs: number, minPairs: number, budgetMs: number): Promise<CostSample> {
  const knownTimes: number[] = [];
  const unknownTimes: number[] = [];
  const time = async (input: FixtureUser): Promise<number> => {
    const start = process.hrtime.bigint();
    await authenticator.authenticate(input);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const started = performance.now();
  for (let i = 0; i < pairs && (i < minPairs || performance.now() - started < budgetMs); i++) {
    const unknown = { username: randomUnknownUsername(), password: known.password };
    if (i % 2 === 0) {
      knownTimes.push(await time(known));
      unknownTimes.push(await time(unknown));
    } else {
      unknownTimes.push(await time(unknown));
      knownTimes.push(await time(known));
    }
  }
  knownTimes.sort((a, b) => a - b);
  unknownTimes.sort((a, b) => a - b);
  const knownMedian = quantile(knownTimes, 0.5);
  const unknownMedian = quantile(unknownTimes, 0.5);
  return {
    ratio: knownMedian > 0 ? unknownMedian / knownMedian : 1,
    known: knownMedian,
    unknown: unknownMedian,
    spread: knownMedian > 0 ? (quantile(knownTimes, 0.75) - quantile(knownTimes, 0.25)) / knownMedian : 0,
  };
}

const within = (ratio: number, band: { low: number; high: number }): boolean => ratio >= band.low && ratio <= band.high;

/** The shared contract every CredentialVerifier must meet, security cases included (docs/contributing.md). */
export function credentialVerifierConformance(options: CredentialVerifierConformanceOptions): ConformanceCase[] {
  const { validUser, otherUser } = options;
  const reportsUnknownUsers = options.reportsUnknownUsers ?? true;
  const cases: ConformanceCase[] = [];
  const add = (name: string, run: (verifier: CredentialVerifier) => Promise<void>): void => {
    cases.push({ name, run: () => withComponent(options.create, run) });
  };

  add('has a name', async (verifier) => {
    assert.equal(typeof verifier.name, 'string');
    assert.ok(verifier.name.length > 0);
    await Promise.resolve();
  });

  add('accepts the right password', async (verifier) => {
    const outcome = await verifier.verify(validUser);
    assertOutcomeShape(outcome, 'right password');
    assert.equal(outcome.status, 'valid');
  });

  add('gives different users different subject ids', async (verifier) => {
    // One id for everyone would make every user one lockout account (ten wrong passwords for one lock out all)
    // and one migrated user in the new directory.
    const first = await verifier.verify(validUser);
    const second = await verifier.verify(otherUser);
    assert.ok(first.status === 'valid' && second.status === 'valid', `right passwords gave ${first.status} and ${second.status}`);
    assert.notEqual(first.subjectId, second.subjectId, 'two users got the same subjectId');
  });

  add('gives the same subjectId on every valid sign-in', async (verifier) => {
    const first = await verifier.verify(validUser);
    const second = await verifier.verify(validUser);
    assert.ok(first.status === 'valid' && second.status === 'valid');
    assert.equal(first.subjectId, second.subjectId);
  });

  add('rejects a wrong password as invalid', async (verifier) => {
    const outcome = await verifier.verify({ username: validUser.username, password: `${validUser.password}x` });
    assertOutcomeShape(outcome, 'wrong password');
    assert.equal(outcome.status, 'invalid');
  });

  add(`${options.namesAccountOnWrongPassword ? 'names' : 'may name'} the account a wrong password was checked against, with the valid subjectId`, async (verifier) => {
    const right = await verifier.verify(validUser);
    const wrong = await verifier.verify({ username: validUser.username, password: `${validUser.password}x` });
    assert.ok(right.status === 'valid' && wrong.status === 'invalid');
    if (options.namesAccountOnWrongPassword) assert.ok(wrong.subjectId !== undefined, 'a wrong password for a known user gave no subjectId');
    // Another account's id would charge the wrong user's lockout counter.
    if (wrong.subjectId !== undefined) assert.equal(wrong.subjectId, right.subjectId);
  });

  add('rejects near misses: prefix, case change, trailing space, empty', async (verifier) => {
    const swapped = validUser.password === validUser.password.toUpperCase() ? validUser.password.toLowerCase() : validUser.password.toUpperCase();
    const nearMisses = [validUser.password.slice(0, -1), swapped, `${validUser.password} `, ` ${validUser.password}`, ''];
    for (const password of nearMisses) {
      if (password === validUser.password) continue;
      const outcome = await verifier.verify({ username: validUser.username, password });
      assertOutcomeShape(outcome, 'near miss');
      assert.ok(failing.has(outcome.status), `a near-miss password gave ${outcome.status}`);
    }
  });

  add('never accepts an empty password (an empty LDAP bind is anonymous and "succeeds")', async (verifier) => {
    const outcome = await verifier.verify({ username: validUser.username, password: '' });
    assert.notEqual(outcome.status, 'valid');
    assert.equal(outcome.status, 'invalid');
  });

  add("one user's password never opens another account", async (verifier) => {
    const outcome = await verifier.verify({ username: otherUser.username, password: validUser.password });
    assert.ok(failing.has(outcome.status), `gave ${outcome.status}`);
  });

  add(`reports an unknown user as ${reportsUnknownUsers ? 'unknown_user' : 'invalid'}`, async (verifier) => {
    const outcome = await verifier.verify({ username: randomUnknownUsername(), password: validUser.password });
    assertOutcomeShape(outcome, 'unknown user');
    assert.equal(outcome.status, reportsUnknownUsers ? 'unknown_user' : 'invalid');
  });

  add('injection characters in the username never match and never throw', async (verifier) => {
    for (const username of injectionUsernames(validUser.username)) {
      const outcome = await verifier.verify({ username, password: validUser.password });
      assertOutcomeShape(outcome, `username ${JSON.stringify(username)}`);
      assert.notEqual(outcome.status, 'valid', `username ${JSON.stringify(username)} was accepted`);
    }
  });

  add('answers parallel checks for different users independently', async (verifier) => {
    const inputs = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0 ? validUser : i % 3 === 1 ? { username: otherUser.username, password: `${otherUser.password}!` } : otherUser,
    );
    const outcomes = await Promise.all(inputs.map((input) => verifier.verify(input)));
    outcomes.forEach((outcome, i) => {
      assert.equal(outcome.status, i % 3 === 1 ? 'invalid' : 'valid', `parallel check ${i}`);
    });
  });

  add('keeps the password out of outcomes and errors (canary)', async (verifier) => {
    const canary = `Canary-${Date.now()}-pw`;
    for (const username of [validUser.username, randomUnknownUsername()]) {
      try {
        assertNoSecret(await verifier.verify({ username, password: canary }), canary, 'outcome');
      } catch (error) {
        assertNoSecret(error, canary, 'error');
        throw error;
      }
    }
  });

  if (options.disabledUser) {
    const disabledUser = options.disabledUser;
    add('answers disabled for a disabled user with the right password, never valid', async (verifier) => {
      const outcome = await verifier.verify(disabledUser);
      assert.equal(outcome.status, 'disabled');
      const wrong = await verifier.verify({ username: disabledUser.username, password: `${disabledUser.password}x` });
      assert.notEqual(wrong.status, 'valid');
    });
  }

  if (options.unicodeUser) {
    const unicodeUser = options.unicodeUser;
    add('accepts a non-ASCII password and rejects its ASCII look-alike', async (verifier) => {
      assert.equal((await verifier.verify(unicodeUser)).status, 'valid');
      const ascii = unicodeUser.password.normalize('NFD').replace(/[\u0300-\u036f]/gu, '');
      if (ascii !== unicodeUser.password) {
        assert.notEqual((await verifier.verify({ username: unicodeUser.username, password: ascii })).status, 'valid');
      }
    });
  }

  if (options.createUnavailable) {
    const createUnavailable = options.createUnavailable;
    cases.push({
      name: 'a backend that is down is unavailable: never valid, never invalid',
      run: () =>
        withComponent(createUnavailable, async (verifier) => {
          let outcome: VerifyOutcome | undefined;
          try {
            outcome = await verifier.verify(validUser);
          } catch (error) {
            assert.ok(error instanceof Error, 'rejected with a non-Error');
            assertNoSecret(error, validUser.password, 'backend error');
          }
          if (outcome) {
            // Its error is what the operator reads; an untyped one is refused by the Authenticator as well.
            assertOutcomeShape(outcome, 'backend down');
            assert.equal(outcome.status, 'unavailable');
          }
          const authenticator = createAuthenticator({ verifier, defaultDeadlineMs: 15_000 });
          const result = await authenticator.authenticate(validUser);
          assert.equal(result.outcome.status, 'unavailable');
        }),
    });
  }

  if (options.equalizesUnknownUsers ?? true) {
    add('an unknown user costs about as much as a known one (dummy verification)', async (verifier) => {
      const authenticator = createAuthenticator({ verifier });
      const wrong = { username: validUser.username, password: `${validUser.password}x` };
      await authenticator.authenticate(wrong); // warm-up: connections, caches, JIT
      await authenticator.authenticate({ username: randomUnknownUsername(), password: wrong.password });
      const describe = (sample: CostSample): string =>
        `unknown user ${sample.unknown.toFixed(2)} ms against ${sample.known.toFixed(2)} ms for a known one's wrong password (${sample.ratio.toFixed(2)}x; ` +
        `docs/benchmarks.md: ${unknownUserCostBand.low}-${unknownUserCostBand.high}x)`;
      // 1. A cheap look: on a quiet machine a right implementation passes here.
      let sample = await measureCost(authenticator, wrong, 7, 7, Number.POSITIVE_INFINITY);
      // Below a millisecond either way the difference drowns in scheduling noise and reveals nothing over a network.
      if (Math.max(sample.known, sample.unknown) < 1 || within(sample.ratio, unknownUserCostBand)) return;
      // 2. Out of the band: measured twice more with more samples before any verdict; either in the band passes
      // (a case that flips with the load of a CI runner is worth nothing: one quiet-looking sample out of the band
      // failed a right LDAP store against Samba 2 runs in 8 on a loaded machine; a missing or cheap dummy is out
      // of the band every time).
      let quiet = true;
      for (let attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0) await sleep(250);
        sample = await measureCost(authenticator, wrong, 25, 9, 5_000);
        if (within(sample.ratio, unknownUserCostBand) || Math.max(sample.known, sample.unknown) < 1) return;
        if (sample.spread > busySpread) quiet = false;
      }
      if (quiet) assert.fail(describe(sample));
      // 3. Busy during one of them: only a gross difference fails.
      assert.ok(within(sample.ratio, grossCostBand), `${describe(sample)}; the machine was busy, but the gap is beyond ${grossCostBand.low}-${grossCostBand.high}x`);
    });
  }

  return cases;
}
