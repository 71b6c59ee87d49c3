import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CredentialVerifier, Profile, ProfileSource } from './contracts.js';
import { callDeadline, deadlineExceeded, withSignalOf, type CallDeadline, type Deadline } from './deadline.js';
import { LegacyIdpError, isLegacyIdpError, toError } from './errors.js';
import { subjectLockoutAccount, type LockoutBeginOptions, type LockoutDecision, type LockoutKeys, type LockoutPolicy, type LockoutTicket } from './lockout.js';
import { silentLogger, type Logger } from './logger.js';
import { createUsernameNormalizer, hasControlCharacters, hasUnpairedSurrogates, usernameNormalizationSchema, type UsernameNormalizer } from './normalize.js';
import { outcomeProblem, passwordWasCorrect, profileReadWith, type UnavailableReason, type VerifyOutcome } from './outcome.js';
import { hasFunction, parseOptions } from './validate.js';


const authenticatorSchema = z
  .object({
    verifier: z.custom<CredentialVerifier>(hasFunction('verify'), 'expected a CredentialVerifier (an object with verify())'),
    profiles: z.custom<ProfileSource>(hasFunction('get'), 'expected a ProfileSource (an object with get())').optional(),
    lockout: z.custom<LockoutPolicy>(hasFunction('begin'), 'expected a LockoutPolicy (an object with begin())').optional(),
    normalization: z.union([usernameNormalizationSchema, z.custom<UsernameNormalizer>((v) => typeof v === 'function')]).optional(),
    logger: z.custom<Logger>(hasFunction('warn'), 'expected a Logger').optional(),
    /** Applied when a call gives no deadline. B2C gives up after 30 s, Entra OnPasswordSubmit after 2 s. */
    defaultDeadlineMs: z.number().int().positive().max(300_000).default(10_000),
    /** Longer inputs are rejected before any backend call: no legitimate password is this long. */
    maxPasswordLength: z.number().int().positive().max(65_536).default(1024),
    maxUsernameLength: z.number().int().positive().max(4096).default(256),
  })
  .strict();

export type AuthenticatorOptions = z.input<typeof authenticatorSchema>;

export interface AuthenticateInput {
  username: string;
  password: string;
  clientIp?: string;
  requestId?: string;
  /** AbortSignal owned by the caller, or milliseconds from now. */
  deadline?: Deadline;
}

export interface AuthenticationResult {
  /** The normalized username the stores were asked about. */
  username: string;
  outcome: VerifyOutcome;
  /** Claims for the new IdP, present only when the outcome is `valid` and a profile source is set. */
  profile: Profile | null;
}

export interface Authenticator {
  authenticate(input: AuthenticateInput): Promise<AuthenticationResult>;
  readonly normalizeUsername: UsernameNormalizer;
  close(): Promise<void>;
}

/** The store's id of the account a password was checked against, when the outcome names one. */
function subjectOf(outcome: VerifyOutcome): string | undefined {
  if (outcome.status === 'valid' || (outcome.status === 'invalid' && outcome.reason === 'wrong_password')) return outcome.subjectId;
  return undefined;
}

/** Outcomes the lockout counts as a failed attempt: neither a right password nor a check that could not be made. */
function countsAsFailure(outcome: VerifyOutcome): boolean {
  return !passwordWasCorrect(outcome) && outcome.status !== 'unavailable';
}

/** A deadline of the shape `Deadline` allows: milliseconds, or an object that behaves as an AbortSignal. */
function isDeadline(value: unknown): boolean {
  if (value === undefined || typeof value === 'number') return true;
  if (typeof value !== 'object' || value === null) return false;
  const signal = value as Partial<AbortSignal>;
  return typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function';
}

/** At most this many distinct verifier mistakes are logged per Authenticator: each once, never per sign-in. */
const maxLoggedContractBreaches = 16;

/**
 * One lockout reservation within the deadline: the ticket, or the outcome that answers instead (locked, the
 * deadline passed, the lockout store failed while fail-closed).
 */
async function reserve(lockout: LockoutPolicy, keys: LockoutKeys, options: LockoutBeginOptions, deadline: CallDeadline, logger: Logger): Promise<LockoutTicket | VerifyOutcome> {
  let pending: Promise<LockoutDecision>;
  let decision;
  try {
    pending = lockout.begin(keys, options);
    decision = await deadline.race(pending);
  } catch (error) {
    const cause = toError(error);
    return unavailable('lockout_store', isLegacyIdpError(cause) ? cause : new LegacyIdpError('ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE', 'lockout store failed', { cause }));
  }
  if (decision === deadlineExceeded) {
    // No password is checked for this attempt, so a reservation the policy hands out after all is taken back:
    // "deadline exceeded" never counts against the user (docs/errors.md).
    pending.then(
      (late) => (late.allowed ? late.ticket.cancel() : undefined),
      () => undefined,
    ).catch((error: unknown) => {
      logger.error('lockout store failed to take back a reservation made after the deadline', { error: toError(error) });
    });
    return unavailable('deadline', deadlineError('lockout reservation'));
  }
  if (!decision.allowed) return { status: 'locked', by: 'lockout_policy', retryAfter: decision.retryAfter };
  return decision.ticket;
}

const unavailable = (reason: UnavailableReason, error: LegacyIdpError): VerifyOutcome => ({
  status: 'unavailable',
  reason,
  error,
});

function backendError(error: unknown, what: string): LegacyIdpError {
  if (isLegacyIdpError(error)) return error;
  const cause = toError(error);
  const code = (cause as { code?: unknown }).code;
  // The driver's own message may quote hosts or DNs, never passwords: we keep it on `cause` only.
  return new LegacyIdpError(
    'ERR_LEGACY_IDP_BACKEND_UNAVAILABLE',
    `${what} failed${typeof code === 'string' ? ` (${code})` : ''}`,
    { cause },
  );
}

const deadlineError = (step: string): LegacyIdpError =>
  new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', `deadline exceeded during ${step}`);

/**
 * The one sign-in path every protocol shares (docs/architecture.md): normalize, reserve a lockout
 * attempt, verify, record the result, read the profile. It never throws for a sign-in; every failure
 * becomes an outcome, and anything that is not a checked password is never `valid`.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const config = parseOptions(authenticatorSchema, options, 'authenticator options');
  const { verifier, profiles, lockout } = config;
  const logger = config.logger ?? silentLogger;
  const normalize =
    typeof config.normalization === 'function' ? config.normalization : createUsernameNormalizer(config.normalization ?? {});
  const loggedBreaches = new Set<string>();
  // Keys the stand-in account of a name no store found when the policy has no keyed digest of its own (a custom
  // policy). Random per Authenticator: the stand-in only has to stay one name's key here, as it never changes
  // an answer (see standInAccount).
  let standInKey: Buffer | undefined;

  /**
   * The lockout account charged after the check when the outcome names no account (an unknown user, a wrong
   * password the store did not attribute, a disabled one): a stand-in for the account a found user's
   * `subjectId` gives, so that every failure costs the lockout store the same calls, and on a networked store the
   * same round trips, whether the name exists or not. A keyed digest of the typed name (the policy's secret, so
   * every instance sharing a store agrees on it), in the subject namespace no typed name can reach, marked so it
   * never equals a store's own subject id. It counts, locks and expires like any account.
   */
  function standInAccount(username: string): string {
    // The empty password is refused before any check, so this digest is never the one of a real attempt.
    const digest = lockout?.digestAttempt?.(username, '') ?? createHmac('sha256', (standInKey ??= randomBytes(32))).update(username).digest('base64url').slice(0, 22);
    return subjectLockoutAccount(`\u001fname:${digest}`);
  }

  /** The answer for a verifier that broke the VerifyOutcome contract: `unavailable`, each mistake logged once. */
  function contractBreach(problem: string, answered: unknown): VerifyOutcome {
    const message = `verifier "${verifier.name}" ${problem}`;
    if (!loggedBreaches.has(message) && loggedBreaches.size < maxLoggedContractBreaches) {
      loggedBreaches.add(message);
      logger.error('verifier answered outside the VerifyOutcome contract: every such sign-in is unavailable until it is fixed', { verifier: verifier.name, problem });
    }
    // An Error the verifier gave (e.g. an untyped driver error) stays on `cause`, in-process only: it may quote hosts.
    const given = typeof answered === 'object' && answered !== null ? (answered as { error?: unknown }).error : undefined;
    return unavailable('misconfigured', new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', message, given instanceof Error ? { cause: given } : {}));
  }

  async function settle(ticket: LockoutTicket | undefined, outcome: VerifyOutcome, attemptDigest: string | undefined): Promise<void> {
    if (!ticket) return;
    if (passwordWasCorrect(outcome)) await ticket.success();
    else if (outcome.status === 'unavailable') await ticket.cancel();
    // Wrong password, unknown user (counted the same, so lockout reveals nothing), disabled, locked.
    else await ticket.failure(attemptDigest === undefined ? undefined : { attemptDigest });
  }

  /**
   * Records how an attempt ended, waiting at most until the deadline: the answer is decided already, and a store
   * that hangs after the reservation must not hold it past the caller's budget. Past the deadline the store call
   * goes on in the background, bounded by the policy's storeTimeoutMs. A wrong password needs no store call here
   * (it was counted at reservation, with its digest); if a success or cancel never reaches the store, the attempt
   * stays counted as a failure, the safe side, and the error is logged.
   */
  async function record(
    ticket: LockoutTicket | undefined,
    outcome: VerifyOutcome,
    attemptDigest: string | undefined,
    deadline: CallDeadline,
    requestId: string | undefined,
    username: string,
  ): Promise<void> {
    const recording = settle(ticket, outcome, attemptDigest).catch((error: unknown) => {
      logger.error('lockout store failed while recording an attempt', { requestId, username, error: toError(error) });
    });
    await deadline.race(recording);
  }

  /** The sign-in's result, logged: a backend in trouble as a warning, anything else at info. */
  function finished(requestId: string | undefined, username: string, outcome: VerifyOutcome, profile: Profile | null): AuthenticationResult {
    // An overloaded hash queue is not a warning: it answers "try again" by design, and under load it would write a
    // warning per refused sign-in.
    const level = outcome.status === 'unavailable' && outcome.reason !== 'overloaded' ? 'warn' : 'info';
    const fields: Record<string, unknown> = { requestId, username, status: outcome.status };
    if ('reason' in outcome) fields['reason'] = outcome.reason;
    if ('detail' in outcome) fields['detail'] = outcome.detail;
    if (outcome.status === 'unavailable') fields['error'] = outcome.error;
    logger[level]('authentication finished', fields);
    return { username, outcome, profile };
  }

  /**
   * The verifier's answer, held to the contract (an answer outside it is `unavailable`, never passed on for a
   * handler to mistake for success); an unknown user then costs a dummy check, so it takes as long as a known one.
   */
  async function verifyStep(username: string, password: string, requestId: string | undefined, withSignal: <T extends object>(fields: T) => T): Promise<VerifyOutcome> {
    const result: unknown = await verifier.verify(withSignal(requestId === undefined ? { username, password } : { username, password, requestId }));
    const problem = outcomeProblem(result, password);
    if (problem !== undefined) return contractBreach(problem, result);
    const outcome = result as VerifyOutcome;
    if (outcome.status === 'unknown_user' && verifier.dummyVerify) await verifier.dummyVerify(password, withSignal({}));
    return outcome;
  }

  async function authenticate(input: AuthenticateInput): Promise<AuthenticationResult> {
    const { requestId } = input;
    // Typed as strings, but protocol handlers parse JSON: a `{ "$ne": null }` must never reach a store.
    const rawUsername = input.username as unknown;
    const password = input.password as unknown;
    if (typeof rawUsername !== 'string' || typeof password !== 'string') {
      return { username: '', outcome: { status: 'invalid', reason: 'malformed_input' }, profile: null };
    }
    const username = normalize(rawUsername);
    const done = (outcome: VerifyOutcome, profile: Profile | null = null): AuthenticationResult => finished(requestId, username, outcome, profile);

    // 1. Inputs no store should ever see.
    if (password.length === 0) return done({ status: 'invalid', reason: 'empty_password' });
    if (
      username.length === 0 ||
      username.length > config.maxUsernameLength ||
      password.length > config.maxPasswordLength ||
      hasControlCharacters(username) ||
      hasUnpairedSurrogates(username)
    ) {
      return done({ status: 'invalid', reason: 'malformed_input' });
    }

    let deadline: CallDeadline;
    try {
      // Any other value is the calling program's mistake, as a negative number is (docs/errors.md).
      if (!isDeadline(input.deadline)) throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'deadline must be a non-negative number of milliseconds or an AbortSignal');
      deadline = callDeadline(input.deadline, config.defaultDeadlineMs);
    } catch (error) {
      return done(unavailable('misconfigured', backendError(error, 'deadline')));
    }
    try {
      return await steps(input, username, password, deadline, done);
    } finally {
      deadline.dispose();
    }
  }

  /** Steps 2-6 of a sign-in, inside its deadline. */
  async function steps(
    input: AuthenticateInput,
    username: string,
    password: string,
    deadline: CallDeadline,
    done: (outcome: VerifyOutcome, profile?: Profile | null) => AuthenticationResult,
  ): Promise<AuthenticationResult> {
    const { requestId } = input;
    // The signal is read through a getter: it is made only if a backend reads it (deadline.ts, withSignalOf). A
    // bounded deadline always has one.
    const bounded = deadline.bounded ? (deadline as CallDeadline & { readonly signal: AbortSignal }) : undefined;
    const withSignal = <T extends object>(fields: T): T & { readonly signal?: AbortSignal } => (bounded === undefined ? fields : withSignalOf(fields, bounded));
    // 2. Reserve an attempt before any password check.
    let ticket: LockoutTicket | undefined;
    // Known before the check, so a repeated wrong password is recognized at reservation (one store call).
    const attemptDigest = lockout?.digestAttempt?.(username, password);
    if (lockout) {
      const reserved = await reserve(
        lockout,
        input.clientIp === undefined ? { account: username } : { account: username, clientIp: input.clientIp },
        withSignal(attemptDigest === undefined ? {} : { attemptDigest }),
        deadline,
        logger,
      );
      if ('status' in reserved) return done(reserved);
      ticket = reserved;
    }

    // 3. Verify; an unknown user costs the same as a known one.
    let outcome: VerifyOutcome;
    try {
      const verified = await deadline.race(verifyStep(username, password, requestId, withSignal));
      outcome = verified === deadlineExceeded ? unavailable('deadline', deadlineError('verification')) : verified;
    } catch (error) {
      outcome = unavailable('backend_error', backendError(error, `verifier "${verifier.name}"`));
    }

    // 4. The account the store found answers for every spelling that led to it: an email alias or a collation's
    // equivalent of a locked name must not bring a fresh counter. Reserved after the check (the account is known
    // only now) but before the answer, so beyond the threshold no check's result is told, however many
    // spellings are tried at once.
    const subjectId = ticket ? subjectOf(outcome) : undefined;
    if (subjectId !== undefined && lockout) {
      const account = subjectLockoutAccount(subjectId);
      // The repeat rule concerns wrong passwords only: a right one needs no digest (one HMAC less per sign-in).
      const subjectDigest = outcome.status === 'valid' ? undefined : lockout.digestAttempt?.(account, password);
      const reserved = await reserve(lockout, { account }, withSignal(subjectDigest === undefined ? {} : { attemptDigest: subjectDigest }), deadline, logger);
      if ('status' in reserved) outcome = reserved;
      else await record(reserved, outcome, subjectDigest, deadline, requestId, username);
    } else if (ticket && lockout && countsAsFailure(outcome)) {
      // No account named (an unknown user above all): the same second reservation, on the typed name's stand-in,
      // so a wrong password for a user who exists costs no store call more than a name that does not (on Redis a
      // round trip, which told which names exist). One HMAC, as the subject's digest above; the typed name's own
      // digest serves the repeat rule, the stand-in being that name's alone. Its lock never changes the answer:
      // the typed name's key sees every attempt the stand-in sees, but a right password and an admin unlock
      // reset that key only, so the stand-in can be locked while the name is not, and the answer must stay what
      // the name's key says, as before. A store failure or the deadline answers `unavailable`, as on the
      // subject's key.
      const reserved = await reserve(lockout, { account: standInAccount(username) }, withSignal(attemptDigest === undefined ? {} : { attemptDigest }), deadline, logger);
      if ('status' in reserved) {
        if (reserved.status === 'unavailable') outcome = reserved;
      } else await record(reserved, outcome, attemptDigest, deadline, requestId, username);
    }

    // 5. Record it. A store failure here does not change the answer: the password check already happened.
    await record(ticket, outcome, attemptDigest, deadline, requestId, username);
    if (outcome.status !== 'valid' || !profiles) return done(outcome);

    // 6. Claims for the new IdP. Without them there is nothing to migrate, so a failure is `unavailable`.
    // A store that is both verifier and profile source hands over the profile it read while verifying.
    const alreadyRead = profiles === (verifier as unknown) ? profileReadWith(outcome) : undefined;
    if (alreadyRead !== undefined) return done(outcome, alreadyRead);
    try {
      const profile = await deadline.race(profiles.get(username, withSignal({})));
      if (profile === deadlineExceeded) return done(unavailable('deadline', deadlineError('profile lookup')));
      if (profile === null) {
        return done(
          unavailable(
            'misconfigured',
            new LegacyIdpError(
              'ERR_LEGACY_IDP_BACKEND_UNAVAILABLE',
              `profile source "${profiles.name}" has no profile for a user the verifier accepted`,
            ),
          ),
        );
      }
      return done(outcome, profile);
    } catch (error) {
      return done(unavailable('backend_error', backendError(error, `profile source "${profiles.name}"`)));
    }
  }

  return {
    authenticate,
    normalizeUsername: normalize,
    async close() {
      // A store is often both verifier and profile source: close each object once.
      const components = new Set<CredentialVerifier | ProfileSource>([verifier, ...(profiles ? [profiles] : [])]);
      await Promise.all(
        [...components].map(async (component) => {
          await component.close?.();
        }),
      );
    },
  };
}
