/**
 * The lockout contract the Authenticator drives. The policy module (src/lockout) implements it; any
 * object of this shape can be plugged in. Reservation is atomic: `begin` either refuses or hands out a
 * ticket that already counts as an attempt in flight, so N parallel guesses cannot all pass a check that
 * happened before any of them failed.
 */
export interface LockoutKeys {
  /** Normalized username. Unknown usernames are keyed the same way as known ones. */
  account: string;
  clientIp?: string | undefined;
}

export type LockoutScope = 'account' | 'account_ip' | 'ip';

export type LockoutDecision =
  | {
      allowed: false;
      /** Whole seconds until a retry can pass (for a permanent lock: the longest temporary lock, as a hint). */
      retryAfter: number;
      scope: LockoutScope;
      /** Only an administrator's unlock ends this lock. */
      permanent?: boolean;
    }
  | { allowed: true; ticket: LockoutTicket };

export interface LockoutBeginOptions {
  signal?: AbortSignal;
  /**
   * `digestAttempt(account, password)` of this attempt. Given here, a repeat of a recent wrong password is
   * recognized at reservation and a wrong password costs the store one call in all; given only to
   * `failure()`, the repeat is taken back afterwards.
   */
  attemptDigest?: string | undefined;
  /**
   * The password itself, for callers without the Authenticator: the policy takes its digest at once and keeps
   * nothing else (the same as passing `digestAttempt(account, password)` as `attemptDigest`).
   */
  password?: string | undefined;
}

export interface LockoutTicket {
  /** The password was right: reset the account's consecutive-failure counters. */
  success(): Promise<void>;
  /** A wrong password. `attemptDigest` lets the policy ignore a repeat of a recent wrong password. */
  failure(details?: { attemptDigest?: string }): Promise<void>;
  /** The check could not be made (backend down, deadline): not the user's fault, does not count. */
  cancel(): Promise<void>;
}

export interface LockoutPolicy {
  begin(keys: LockoutKeys, options?: LockoutBeginOptions): Promise<LockoutDecision>;
  /** Keyed HMAC of a wrong attempt (server secret); the password itself is never stored. */
  digestAttempt?(account: string, password: string): string;
}

const subjectAccountPrefix = '\u001fsubject:';

/**
 * The lockout account that stands for a user the store found (its subject id), rather than for the name that
 * was typed. The Authenticator charges it after the check, so every spelling a store resolves to one user
 * shares one counter. It starts with a control character, which a username reaching the lockout never holds
 * (the Authenticator refuses them), so no typed name can ever be this key. Unlock a user fully with
 * `policy.unlock({ account: username })` and `policy.unlock({ account: subjectLockoutAccount(subjectId) })`.
 */
export function subjectLockoutAccount(subjectId: string): string {
  return `${subjectAccountPrefix}${subjectId}`;
}

/** True for the keys `subjectLockoutAccount` makes. */
export function isSubjectLockoutAccount(account: string): boolean {
  return account.startsWith(subjectAccountPrefix);
}
