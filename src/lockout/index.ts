export { createLockoutPolicy } from './policy.js';
export type { ConfiguredLockoutPolicy, LockoutPolicyOptions, LockoutSubject, LockoutSubjectStatus } from './policy.js';
export { memoryLockoutStore } from './stores/memory.js';
export type { MemoryLockoutStore, MemoryLockoutStoreOptions } from './stores/memory.js';
export { normalizeClientIp } from './client-ip.js';
export type {
  ListLockedResult,
  LockGrowth,
  LockoutKeyStatus,
  LockoutStore,
  LockoutTarget,
  RepeatRule,
  ReserveRequest,
  ReserveResult,
  SettleRequest,
} from './types.js';
export type { LockoutBeginOptions, LockoutDecision, LockoutKeys, LockoutPolicy, LockoutScope, LockoutTicket } from '../core/lockout.js';
// Standalone callers tell a store outage (fail-closed) from other errors without a second import.
export { LegacyIdpError, isLegacyIdpError } from '../core/errors.js';
export { normalizeUsername } from '../core/normalize.js';
