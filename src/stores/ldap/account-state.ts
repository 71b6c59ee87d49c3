import type { VerifyOutcome } from '../../core/outcome.js';
import { fileTimeToDate, userAccountControlFlags } from './active-directory.js';

/**
 * The account states a directory entry records, read by one rule for both LDAP stores: the LDIF store reads
 * them from an export, the live store from a search (compare mode, and `enabled` in profiles). Before the rule
 * was shared, compare mode answered `valid` for accounts the LDIF store and a bind refused.
 */

/** What the entry says about the account, checked only after the password matched. */
export type AccountState =
  | { status: 'active' }
  | { status: 'disabled'; detail: string }
  | { status: 'locked'; detail: string }
  | { status: 'must_change'; detail: string };

export interface AccountStanding {
  state: AccountState;
  /** accountExpires / shadowExpire: compared when asked, not when read (an export is loaded once). */
  expiresAt: Date | null;
}

/** The attributes `accountStateOf` reads; a search must ask for them by name (some are operational). */
export const accountStateAttributes: readonly string[] = Object.freeze([
  'userAccountControl',
  'accountExpires',
  'pwdLastSet',
  'nsAccountLock',
  'pwdAccountLockedTime',
  'pwdReset',
  'shadowExpire',
]);

/** The first text value of an attribute (any spelling of its name), or undefined. */
export type AttributeText = (attribute: string) => string | undefined;

/** The ppolicy value an administrator writes to lock an account until it is unlocked by hand. */
const permanentLock = '000001010000Z';

/**
 * ppolicy's administrative lock (`pwdAccountLockedTime: 000001010000Z`) is `disabled`, not `locked`: it does
 * not pass with time, an administrator must lift it. One answer for every mode: compare mode and the LDIF store
 * read it here (accountStateOf), and a bind that slapd refuses with `accountLocked` asks here which lock it was.
 */
export function administrativeLock(pwdAccountLockedTime: string | undefined): { status: 'disabled'; detail: string } | undefined {
  return pwdAccountLockedTime?.trim() === permanentLock ? { status: 'disabled', detail: 'pwdAccountLockedTime (administrative lock)' } : undefined;
}

const isTrue = (value: string | undefined): boolean => value?.trim().toUpperCase() === 'TRUE';

/**
 * AD userAccountControl, accountExpires and pwdLastSet 0; ppolicy pwdAccountLockedTime and pwdReset; 389-DS
 * nsAccountLock; shadowExpire. Throws ERR_LEGACY_IDP_LDAP_DECODE for a userAccountControl or accountExpires
 * that is no integer. A pwdAccountLockedTime is a lock whatever its age: the policy's pwdLockoutDuration is not
 * read (an export does not carry it).
 */
export function accountStateOf(text: AttributeText): AccountStanding {
  let expiresAt: Date | null = null;
  const accountExpires = text('accountExpires');
  if (accountExpires !== undefined) expiresAt = fileTimeToDate(accountExpires);
  const shadowExpire = text('shadowExpire');
  // shadowExpire counts days since 1970-01-01; -1 (or absent) means never.
  if (shadowExpire !== undefined && /^\d{1,7}$/u.test(shadowExpire.trim())) {
    const date = new Date(Number(shadowExpire.trim()) * 86_400_000);
    if (expiresAt === null || date < expiresAt) expiresAt = date;
  }

  const uacText = text('userAccountControl');
  const uac = uacText === undefined ? undefined : userAccountControlFlags(uacText);
  if (uac?.disabled) return { state: { status: 'disabled', detail: 'userAccountControl ACCOUNTDISABLE' }, expiresAt };
  if (isTrue(text('nsAccountLock'))) return { state: { status: 'disabled', detail: 'nsAccountLock' }, expiresAt };
  const lockedTime = text('pwdAccountLockedTime');
  const adminLock = administrativeLock(lockedTime);
  if (adminLock !== undefined) return { state: { status: 'disabled', detail: adminLock.detail }, expiresAt };
  if (lockedTime !== undefined) return { state: { status: 'locked', detail: 'pwdAccountLockedTime' }, expiresAt };
  if (uac?.locked) return { state: { status: 'locked', detail: 'userAccountControl LOCKOUT' }, expiresAt };
  if (isTrue(text('pwdReset'))) return { state: { status: 'must_change', detail: 'pwdReset' }, expiresAt };
  if (text('pwdLastSet')?.trim() === '0') return { state: { status: 'must_change', detail: 'pwdLastSet 0' }, expiresAt };
  return { state: { status: 'active' }, expiresAt };
}

export type AccountStateOutcome = Extract<VerifyOutcome, { status: 'disabled' | 'locked' | 'must_change' }>;

/**
 * What a correct password answers for this account, or undefined when nothing stops the sign-in. States are
 * told only to someone who knows the password, as AD and ppolicy do.
 */
export function accountStateOutcome(account: AccountStanding, now: number = Date.now()): AccountStateOutcome | undefined {
  const { state, expiresAt } = account;
  if (state.status === 'disabled') return { status: 'disabled', detail: state.detail };
  if (expiresAt !== null && expiresAt.getTime() <= now) return { status: 'disabled', detail: 'account expired' };
  if (state.status === 'locked') return { status: 'locked', by: 'legacy_store', detail: state.detail };
  if (state.status === 'must_change') return { status: 'must_change', detail: state.detail };
  return undefined;
}

/** `Profile.enabled`: false for a disabled or expired account; a locked one stays enabled (a lock passes). */
export function accountEnabled(account: AccountStanding, now: number = Date.now()): boolean {
  return account.state.status !== 'disabled' && !(account.expiresAt !== null && account.expiresAt.getTime() <= now);
}
