export { assertNoSecret, injectionUsernames, randomUnknownUsername } from './conformance.js';
export type { ConformanceCase, FixtureUser } from './conformance.js';
export { credentialVerifierConformance } from './credential-verifier.js';
export type { CredentialVerifierConformanceOptions } from './credential-verifier.js';
export { profileSourceConformance } from './profile-source.js';
export type { ProfileSourceConformanceOptions } from './profile-source.js';
export { lockoutStoreConformance } from './lockout-store.js';
export type { LockoutStoreConformanceOptions } from './lockout-store.js';
