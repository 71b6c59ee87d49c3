/**
 * Microsoft Graph client for user migration into Entra External ID / Azure AD B2C: app-only tokens,
 * retries under Graph's throttling rules, $batch, and the local-account payload. See docs/graph.md.
 */
export { createGraphClient, defaultMaxRetryAfterMs, type GraphClient, type GraphClientOptions, type IdentityLookup } from './client.js';
export { maxBatchRequests, type BatchItemResult, type BatchRequest } from './batch.js';
export { conflictTarget, GraphError, isGraphError, isObjectConflict, type GraphErrorCode, type GraphErrorDetail } from './errors.js';
export { checkStrongPassword, generateCompliantPassword, strongPasswordSymbols, type PasswordPolicyResult } from './password.js';
export { backoffDelay, parseRetryAfter } from './retry.js';
export type { ThrottleInfo } from './throttle.js';
export type { AccessToken, GraphTokenCredential } from './token.js';
export type { GraphAnswer, GraphCallOptions, GraphRequest, HttpMethod, ThrottlePriority } from './transport.js';
export {
  buildLocalAccountUser,
  extensionAttributeName,
  identityFilter,
  localAccountIssuer,
  odataString,
  type ExtensionValue,
  type GraphUser,
  type GraphUserCreate,
  type GraphUserWrite,
  type LocalAccountInput,
  type LocalAccountUser,
  type ObjectIdentity,
  type PasswordProfile,
} from './users.js';
