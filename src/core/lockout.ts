/**
 * The lockout contract the Authenticator drives. The policy module (src/lockout) implements it; any
 * object of this shape can be plugged in. Reservation is atomic: `begin` either refuses or hands out a
 * ticket that already counts as an attempt in flight, so N parallel guesses cannot all pass a check that
 * happened before any of them failed.
 */
export interface LockoutKeys {
  /** Normalized username. Unknown usernames are keyed the same way as known ones. */
  account: string;
  clientIp?: string;
}

export type LockoutScope = 'account' | 'account_ip' | 'ip';

export type LockoutDecision =
  | { allowed: false; retryAfter: number; scope: LockoutScope }
  | { allowed: true; ticket: LockoutTicket };

export interface LockoutTicket {
  /** The password was right: reset the account's consecutive-failure counters. */
  success(): Promise<void>;
  /** A wrong password. `attemptDigest` lets the policy ignore a repeat of a recent wrong password. */
  failure(details?: { attemptDigest?: string }): Promise<void>;
  /** The check could not be made (backend down, deadline): not the user's fault, does not count. */
  cancel(): Promise<void>;
}

export interface LockoutPolicy {
  begin(keys: LockoutKeys, options?: { signal?: AbortSignal }): Promise<LockoutDecision>;
  /** Keyed HMAC of a wrong attempt (server secret); the password itself is never stored. */
  digestAttempt?(account: string, password: string): string;
}
