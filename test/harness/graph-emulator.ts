/**
 * A Microsoft Graph stand-in for tests of src/graph: the token endpoint of the Microsoft identity platform
 * and the few Graph user operations the migration needs, on node:http at 127.0.0.1. No test may reach the
 * real service, so this follows the documented wire contract as shared/reference/b2c-contracts.md §3
 * records it (create user §3.1, password rules §3.2, error shapes §3.3, $batch §3.4, throttling §3.5).
 * It is a test double: passing against it says the client speaks the contract as documented, not that the
 * real service behaves the same way.
 *
 * Documented, and modelled:
 * - POST /{v}/users for B2C local accounts: displayName and identities (1-10) required; passwordProfile
 *   required with a local identity, forceChangePasswordNextSignIn must be false, passwordPolicies must hold
 *   DisablePasswordExpiration; the strong password rules unless DisableStrongPassword; 201 with the user.
 * - Identity rules: emailAddress* ids are e-mail addresses; userName ids start with a letter or digit and
 *   hold letters, digits, `-` and `_`, 64 at most (the current Graph page); issuer + issuerAssignedId unique.
 * - Errors: UPN conflict = 400 Request_BadRequest with details [{ target: 'userPrincipalName', code:
 *   'ObjectConflict' }] (maintainer's answer); malformed identities = 400 BadRequest "Property identities in
 *   payload has a value that does not match schema."; the password-complexity message (user report).
 * - GET /{v}/users?$filter=identities/any(c:c/issuerAssignedId eq '...' and c/issuer eq '...'): both
 *   parts required; OData '' escapes; the issuer is ignored for userName and emailAddress identities.
 * - $batch: at most 20 requests, ids unique case-insensitively, Content-Type required with a body, each
 *   item evaluated and throttled on its own, batch answers 200, items may come back in another order.
 * - Throttling: token buckets for resource units and writes (app+tenant pair), costs per §3.5 (writes 1 RU
 *   + 1 write; GET /users 2 RU, $select -1, $top < 20 -1; a B2C create +4 RU), 429 with a fractional
 *   Retry-After and the documented TooManyRequests body, x-ms-resource-unit on answers,
 *   x-ms-throttle-limit-percentage once more than 80% of a quota is used, x-ms-throttle-scope and
 *   x-ms-throttle-information on 429s.
 * - Client credentials: the v2.0 token endpoint's form parameters and answer fields.
 *
 * The emulator's own choices, where the reference says nothing, are marked "Emulator's choice" below.
 * Not modelled: other query options ($top beyond its cost, $orderby, $count),
 * other resources, federated-identity rules, the global 2,000 requests/s limit, the application-wide and
 * tenant-wide quotas (only the app+tenant pair), CPU-based throttling, TLS, JWT access tokens (tokens
 * are opaque), permissions (403), object-count limits, replication delay (a created user is visible at once).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QuotaOptions {
  /** Units the bucket holds (and refills per window). */
  limit: number;
  windowMs: number;
}

/** Request numbers count Graph requests (a $batch is one), from 1; token requests count on their own. */
export interface RequestSelector {
  /** Every Nth request (N, 2N, ...). */
  every?: number;
  /** These request numbers. */
  on?: readonly number[];
}

export interface GraphEmulatorFaults {
  /** Answer 503 (or `status`) without executing; `retryAfter` is sent as Retry-After when given. */
  unavailable?: RequestSelector & { status?: number; retryAfter?: string };
  /** Answer 429 without executing, whatever the quota says; Retry-After `retryAfter` (default '0.5', null: none). */
  throttle?: RequestSelector & { retryAfter?: string | null };
  /** Hold the answer this long (for client timeouts); the request is then executed as usual. */
  delay?: RequestSelector & { ms: number };
  /** Token endpoint: answer `status` (default 503) on these token request numbers. */
  token?: RequestSelector & { status?: number };
  /**
   * $batch items, numbered from 1 over every item received: answer `status` (default 429) without executing.
   * Retry-After is `retryAfter` (a function of the item number gives each item its own; null or absent: none).
   */
  batchItem?: RequestSelector & { status?: number; retryAfter?: string | null | ((itemNumber: number) => string | null) };
  /**
   * Emulator's own fault (Graph is not known to do this): refuse every password written (create or update,
   * batch items too) with a 400 whose message and details quote it, for tests of the client's scrubbing.
   */
  echoPassword?: boolean;
  /** Emulator's own fault: rewrite a $batch answer's responses (in answer order) before they are sent, for malformed answers. */
  batchResponses?: (responses: Record<string, unknown>[]) => unknown[];
}

export interface GraphEmulatorOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** The tenant's default domain: the issuer of local identities. Default 'emulator.onmicrosoft.com'. */
  tenantDomain?: string;
  /** expires_in of issued tokens, and how long they are accepted. Default 3599. */
  tokenLifetimeSeconds?: number;
  /** A token is refused (401 InvalidAuthenticationToken) after this many Graph requests, before its expiry. */
  tokenMaxUses?: number;
  /** Write quota of the app+tenant pair; default 3,000 per 150 s (§3.5). null: no write throttling. */
  writeQuota?: QuotaOptions | null;
  /** Resource-unit quota of the app+tenant pair; default 3,500 per 10 s (small tenant, §3.5). null: none. */
  resourceUnitQuota?: QuotaOptions | null;
  /** B2C tenant: a user create costs 4 more resource units (§3.5). Default true. */
  b2c?: boolean;
  /** Order of $batch answers. Default 'reverse', so that clients must match by id. */
  batchResponseOrder?: 'request' | 'reverse';
  faults?: GraphEmulatorFaults;
  /** appId of the tenant's b2c-extensions-app (GET /applications?$filter=appId eq ...). */
  extensionsAppId?: string;
  /** Epoch ms; tests share a fake clock with the client's injected sleep. Default Date.now. */
  now?: () => number;
}

export interface ObjectIdentityRecord {
  signInType: string;
  issuer: string;
  issuerAssignedId: string;
}

/** A stored user: every property written (the password too, for tests to inspect; never sent back). */
export type EmulatedUser = Record<string, unknown> & { id: string; identities: ObjectIdentityRecord[]; userPrincipalName: string };

export interface EmulatorRequestLog {
  /** Graph request number (token and batch items: the number of the request they came with). */
  seq: number;
  kind: 'token' | 'graph' | 'batch-item';
  method: string;
  /** Path and query as received, version included (batch items: the item's url, relative to the version). */
  path: string;
  /** 0: no answer, the client had gone before a delay fault ended (the request was not executed). */
  status: number;
  batchItemId?: string;
}

export interface GraphEmulatorSummary {
  /** Graph requests received (a $batch counts once; token requests not). */
  requestCount: number;
  tokenRequestCount: number;
  batchItemCount: number;
  /** 429 answers, batch items included. */
  throttledCount: number;
  /** Injected 5xx answers. */
  unavailableCount: number;
  createdCount: number;
}

export interface GraphEmulator {
  /** Base of both the authority and Graph: `http://127.0.0.1:<port>`. */
  url: string;
  tenantId: string;
  tenantDomain: string;
  clientId: string;
  clientSecret: string;
  users: Map<string, EmulatedUser>;
  /** Extension properties registered on the b2c-extensions-app, by full name. */
  extensionProperties(): string[];
  requests: EmulatorRequestLog[];
  setFaults(faults: GraphEmulatorFaults): void;
  /** Every token issued so far is refused from now on. */
  revokeTokens(): void;
  summary(): GraphEmulatorSummary;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

interface Bucket {
  limit: number;
  ratePerMs: number;
  tokens: number;
  at: number;
}

const maxBodyBytes = 4 * 1024 * 1024; // Emulator's choice (Graph documents 4 MB for some payloads, not for these).
const localSignInTypes = /^(emailAddress\d*|userName)$/u;
const emailShape = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
const userNameShape = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/u;
const extensionProperty = /^extension_[0-9a-f]{32}_[A-Za-z0-9_]+$/iu;
/** Emulator's choice: the user properties it accepts on writes; anything else is refused as unknown. */
const writableProperties = new Set([
  'accountEnabled',
  'displayName',
  'identities',
  'passwordProfile',
  'passwordPolicies',
  'mail',
  'givenName',
  'surname',
  'userPrincipalName',
  'mailNickname',
  'otherMails',
  'jobTitle',
  'department',
  'city',
  'country',
  'creationType',
]);
/** Emulator's choice: Graph's default properties of a user when there is no $select (identities not among them). */
const defaultProperties = ['id', 'displayName', 'givenName', 'surname', 'mail', 'userPrincipalName', 'jobTitle', 'mobilePhone', 'officeLocation', 'preferredLanguage'];
/** The strong policy's characters besides letters and digits (§3.2), blank space included. */
const strongSymbols = '@#$%^&*-_!+=[]{}|\\:\',.?/`~"();<> ';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function graphError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Answer {
  return {
    status,
    headers: {},
    body: {
      error: {
        code,
        message,
        ...extra,
        innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() },
      },
    },
  };
}

/** §3.2: 8-256 characters, 3 of 4 classes, listed characters only. Written apart from src/graph on purpose. */
function meetsStrongPolicy(password: string): boolean {
  if (password.length < 8 || password.length > 256) return false;
  const classes = new Set<string>();
  for (const char of password) {
    if (/[a-z]/u.test(char)) classes.add('lower');
    else if (/[A-Z]/u.test(char)) classes.add('upper');
    else if (/[0-9]/u.test(char)) classes.add('digit');
    else if (strongSymbols.includes(char)) {
      if (char !== ' ') classes.add('symbol');
    } else return false;
  }
  return classes.size >= 3;
}

const policiesOf = (value: unknown): string[] =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '')
    : [];

function selected(selector: RequestSelector | undefined, seq: number): boolean {
  if (selector === undefined) return false;
  if (selector.every !== undefined && selector.every > 0 && seq % selector.every === 0) return true;
  return selector.on?.includes(seq) ?? false;
}

export async function startGraphEmulator(options: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const now = options.now ?? Date.now;
  const tenantId = options.tenantId ?? '7f1c6a5e-0b1d-4c1e-9a51-2f0e4c3b9d10';
  const tenantDomain = (options.tenantDomain ?? 'emulator.onmicrosoft.com').toLowerCase();
  const clientId = options.clientId ?? '3c9b8a7d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
  const clientSecret = options.clientSecret ?? `emu~${randomBytes(18).toString('base64url')}`;
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3599;
  const b2c = options.b2c ?? true;
  const batchOrder = options.batchResponseOrder ?? 'reverse';
  let faults: GraphEmulatorFaults = options.faults ?? {};

  const users = new Map<string, EmulatedUser>();
  const requests: EmulatorRequestLog[] = [];
  const tokens = new Map<string, { expiresAt: number; uses: number; revoked: boolean }>();
  const counts = { requestCount: 0, tokenRequestCount: 0, batchItemCount: 0, throttledCount: 0, unavailableCount: 0, createdCount: 0 };
  /** Wakers of answers held back by a delay fault, so that close() does not wait for them. */
  const pending = new Set<() => void>();
  let closing = false;

  const makeBucket = (quota: QuotaOptions | null | undefined, fallback: QuotaOptions): Bucket | undefined => {
    if (quota === null) return undefined;
    const q = quota ?? fallback;
    return { limit: q.limit, ratePerMs: q.limit / q.windowMs, tokens: q.limit, at: now() };
  };
  const writeBucket = makeBucket(options.writeQuota, { limit: 3000, windowMs: 150_000 });
  const unitBucket = makeBucket(options.resourceUnitQuota, { limit: 3500, windowMs: 10_000 });

  const refill = (bucket: Bucket): void => {
    const at = now();
    bucket.tokens = Math.min(bucket.limit, bucket.tokens + (at - bucket.at) * bucket.ratePerMs);
    bucket.at = at;
  };

  let url = '';

  // ---- token endpoint -------------------------------------------------------------------------------

  function tokenError(status: number, error: string, aadsts: number, description: string): Answer {
    // Emulator's choice: the AADSTS numbers and texts are the identity platform's usual ones, not from the reference.
    return {
      status,
      headers: {},
      body: {
        error,
        error_description: `AADSTS${aadsts}: ${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date(now()).toISOString()}`,
        error_codes: [aadsts],
        timestamp: new Date(now()).toISOString(),
        trace_id: randomUUID(),
        correlation_id: randomUUID(),
      },
    };
  }

  function handleToken(tenant: string, raw: string): Answer {
    counts.tokenRequestCount++;
    const tokenFault = faults.token;
    if (tokenFault !== undefined && selected(tokenFault, counts.tokenRequestCount)) {
      counts.unavailableCount++;
      return { status: tokenFault.status ?? 503, headers: {}, body: { error: 'temporarily_unavailable', error_description: 'AADSTS90033: A transient error has occurred.' } };
    }
    if (tenant.toLowerCase() !== tenantId.toLowerCase() && tenant.toLowerCase() !== tenantDomain) {
      return tokenError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    }
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'client_credentials') return tokenError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    if (form.get('client_id') !== clientId) {
      return tokenError(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory.`);
    }
    if (form.get('client_secret') !== clientSecret) return tokenError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    const scope = form.get('scope') ?? '';
    if (scope !== `${url}/.default` && scope !== 'https://graph.microsoft.com/.default') {
      return tokenError(400, 'invalid_scope', 70011, 'The provided value for the input parameter \'scope\' is not valid.');
    }
    // Emulator's choice: opaque tokens (the real ones are JWTs the client never needs to read).
    const token = `emu.${randomBytes(24).toString('base64url')}`;
    tokens.set(token, { expiresAt: now() + tokenLifetimeSeconds * 1000, uses: 0, revoked: false });
    return { status: 200, headers: {}, body: { token_type: 'Bearer', expires_in: tokenLifetimeSeconds, ext_expires_in: tokenLifetimeSeconds, access_token: token } };
  }

  /** undefined when the bearer token is good; else the 401 answer. */
  function checkToken(authorization: string | undefined): Answer | undefined {
    const token = authorization?.startsWith('Bearer ') === true ? authorization.slice(7) : '';
    // Emulator's choice: Graph's usual messages for these two cases.
    if (token === '') return withAuthenticate(graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.'));
    const entry = tokens.get(token);
    if (entry === undefined) return withAuthenticate(graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.'));
    entry.uses++;
    const overUsed = options.tokenMaxUses !== undefined && entry.uses > options.tokenMaxUses;
    if (entry.revoked || overUsed || now() >= entry.expiresAt) {
      return withAuthenticate(graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'));
    }
    return undefined;
  }

  function withAuthenticate(answer: Answer): Answer {
    answer.headers['WWW-Authenticate'] = `Bearer realm="", authorization_uri="${url}/${tenantId}/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`;
    return answer;
  }

  // ---- throttling -----------------------------------------------------------------------------------

  function costOf(method: string, path: string, query: URLSearchParams): { units: number; writes: number } {
    if (method === 'GET') {
      let units = /^\/users\/?$/u.test(path) ? 2 : 1; // Emulator's choice: GET of one user costs 1 (§3.5 gives 2 for GET users).
      if (query.has('$select')) units -= 1;
      if (query.has('$expand')) units += 1;
      const top = Number(query.get('$top'));
      if (query.has('$top') && top < 20) units -= 1;
      return { units: Math.max(1, units), writes: 0 }; // Emulator's choice: never below 1.
    }
    const create = method === 'POST' && /^\/users\/?$/u.test(path);
    return { units: 1 + (create && b2c ? 4 : 0), writes: 1 };
  }

  function throttled(retryAfterSeconds: string | null, information: string, limit: string): Answer {
    counts.throttledCount++;
    const answer: Answer = {
      status: 429,
      headers: {
        // Emulator's choice: the scope's first two segments (the docs give only `<Scope>/<Limit>/<AppId>/<TenantId>`).
        'x-ms-throttle-scope': `ApplicationTenant/${limit}/${clientId}/${tenantId}`,
        'x-ms-throttle-information': information,
      },
      body: {
        error: {
          code: 'TooManyRequests',
          innerError: { code: '429', date: new Date(now()).toISOString().slice(0, 19), message: 'Please retry after', 'request-id': randomUUID(), status: '429' },
          message: 'Please retry again later.',
        },
      },
    };
    if (retryAfterSeconds !== null) answer.headers['Retry-After'] = retryAfterSeconds;
    return answer;
  }

  /** Charges the request, or answers 429 with the wait until the bucket holds enough. */
  function charge(cost: { units: number; writes: number }): Answer | { headers: Record<string, string> } {
    const checks: { bucket: Bucket; need: number; information: string; limit: string }[] = [];
    if (unitBucket) checks.push({ bucket: unitBucket, need: cost.units, information: 'ResourceUnitLimitExceeded', limit: 'ResourceUnitLimit' });
    if (writeBucket && cost.writes > 0) checks.push({ bucket: writeBucket, need: cost.writes, information: 'WriteLimitExceeded', limit: 'WriteLimit' });
    let worst: { waitMs: number; information: string; limit: string } | undefined;
    for (const check of checks) {
      refill(check.bucket);
      if (check.bucket.tokens < check.need) {
        const waitMs = (check.need - check.bucket.tokens) / check.bucket.ratePerMs;
        if (worst === undefined || waitMs > worst.waitMs) worst = { waitMs, information: check.information, limit: check.limit };
      }
    }
    if (worst !== undefined) {
      // Emulator's choice: a throttled request costs nothing (the docs say throttled requests still count; how much is not said).
      return throttled(String(Math.max(0.001, Math.ceil(worst.waitMs) / 1000)), worst.information, worst.limit);
    }
    let used = 0;
    for (const check of checks) {
      check.bucket.tokens -= check.need;
      used = Math.max(used, 1 - check.bucket.tokens / check.bucket.limit);
    }
    const headers: Record<string, string> = { 'x-ms-resource-unit': String(cost.units) };
    if (used > 0.8) headers['x-ms-throttle-limit-percentage'] = used.toFixed(2);
    return { headers };
  }

  // ---- users ----------------------------------------------------------------------------------------

  const sameId = (a: ObjectIdentityRecord, b: ObjectIdentityRecord): boolean => {
    // Emulator's choice: ids compare case-insensitively; the issuer does not matter between local identities
    // (Graph ignores it for userName/emailAddress lookups, §3.1), and does for the others.
    if (a.issuerAssignedId.toLowerCase() !== b.issuerAssignedId.toLowerCase()) return false;
    const local = localSignInTypes.test(a.signInType) && localSignInTypes.test(b.signInType);
    return local || a.issuer.toLowerCase() === b.issuer.toLowerCase();
  };

  function conflict(property: 'identities' | 'userPrincipalName'): Answer {
    // §3.3: documented for userPrincipalName; the identities variant copies its shape (the message is from
    // Microsoft's migration tool, the shape is the emulator's choice).
    return graphError(400, 'Request_BadRequest', `Another object with the same value for property ${property} already exists.`, {
      details: [{ target: property, code: 'ObjectConflict' }],
    });
  }

  const badRequest = (message: string): Answer => graphError(400, 'Request_BadRequest', message);

  function validateIdentities(value: unknown): ObjectIdentityRecord[] | Answer {
    const schemaError = graphError(400, 'BadRequest', 'Property identities in payload has a value that does not match schema.');
    if (!Array.isArray(value) || value.length === 0 || value.length > 10) return schemaError;
    const out: ObjectIdentityRecord[] = [];
    for (const item of value) {
      if (!isRecord(item) || typeof item.signInType !== 'string' || typeof item.issuer !== 'string' || typeof item.issuerAssignedId !== 'string') return schemaError;
      if (item.issuer === '' || item.issuer.length > 512 || item.issuerAssignedId === '') return schemaError;
      const identity = { signInType: item.signInType, issuer: item.issuer, issuerAssignedId: item.issuerAssignedId };
      // Emulator's choice: the message for a value that breaks the documented per-type rules.
      const invalid = badRequest(`Invalid value specified for property 'issuerAssignedId' of resource 'ObjectIdentity'.`);
      if (identity.signInType.startsWith('emailAddress') && !emailShape.test(identity.issuerAssignedId)) return invalid;
      if (identity.signInType === 'userName' && !userNameShape.test(identity.issuerAssignedId)) return invalid;
      if (localSignInTypes.test(identity.signInType) && identity.issuer.toLowerCase() !== tenantDomain) {
        return badRequest(`Invalid value specified for property 'issuer' of resource 'ObjectIdentity'.`);
      }
      if (out.some((other) => sameId(other, identity))) return schemaError;
      out.push(identity);
    }
    return out;
  }

  function checkPassword(profile: unknown, policies: string[], required: boolean): Answer | undefined {
    if (profile === undefined) return required ? badRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.") : undefined;
    if (!isRecord(profile) || typeof profile.password !== 'string') return badRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.");
    if (faults.echoPassword === true) {
      return graphError(400, 'Request_BadRequest', `The password '${profile.password}' is not allowed.`, {
        details: [{ code: 'InvalidValue', target: 'passwordProfile', message: `password '${profile.password}' is not allowed` }],
      });
    }
    if (profile.forceChangePasswordNextSignIn === true) {
      // §3.1: must be false for B2C local accounts. Emulator's choice: the message.
      return badRequest('forceChangePasswordNextSignIn must be false for local account identities.');
    }
    const strong = !policies.includes('DisableStrongPassword');
    const ok = strong ? meetsStrongPolicy(profile.password) : profile.password.length >= 1 && profile.password.length <= 256;
    if (!ok) return badRequest('The specified password does not comply with password complexity requirements. Please provide a different password.');
    return undefined;
  }

  function unknownProperty(body: Record<string, unknown>): Answer | undefined {
    for (const key of Object.keys(body)) {
      if (!writableProperties.has(key) && !extensionProperty.test(key)) return badRequest(`Invalid property '${key}'.`); // Emulator's choice.
    }
    return undefined;
  }

  function view(user: EmulatedUser, select: string | null): Record<string, unknown> {
    const names = select === null ? defaultProperties : ['id', ...select.split(',').map((name) => name.trim())];
    const out: Record<string, unknown> = {};
    for (const name of names) {
      if (name === 'passwordProfile') continue;
      // Emulator's choice: unset default properties come back as null; unknown selected ones are left out.
      if (name in user) out[name] = user[name];
      else if (select === null) out[name] = null;
    }
    return out;
  }

  const notFound = (id: string): Answer =>
    // Emulator's choice: Graph's usual 404 text.
    graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);

  function createUser(body: unknown): Answer {
    if (!isRecord(body)) return graphError(400, 'BadRequest', 'Empty Payload. JSON content expected.'); // Emulator's choice.
    const unknown = unknownProperty(body);
    if (unknown) return unknown;
    if (typeof body.displayName !== 'string' || body.displayName === '') return badRequest("Invalid value specified for property 'displayName' of resource 'User'.");
    const identities = validateIdentities(body.identities);
    if (!Array.isArray(identities)) return identities;
    const policies = policiesOf(body.passwordPolicies);
    const local = identities.some((identity) => localSignInTypes.test(identity.signInType));
    if (local && !policies.includes('DisablePasswordExpiration')) {
      // §3.1: "passwordPolicies must be set to DisablePasswordExpiration". Emulator's choice: the message.
      return badRequest('Password expiration must be disabled (passwordPolicies: DisablePasswordExpiration) for local account identities.');
    }
    const passwordProblem = checkPassword(body.passwordProfile, policies, local);
    if (passwordProblem) return passwordProblem;
    const existing = [...users.values()];
    if (existing.some((user) => user.identities.some((stored) => identities.some((identity) => sameId(stored, identity))))) return conflict('identities');
    const id = randomUUID();
    // Emulator's choice: B2C-style generated UPN when none is given.
    const upn = typeof body.userPrincipalName === 'string' ? body.userPrincipalName : `${id}@${tenantDomain}`;
    if (existing.some((user) => user.userPrincipalName.toLowerCase() === upn.toLowerCase())) return conflict('userPrincipalName');
    const user: EmulatedUser = { ...body, id, identities, userPrincipalName: upn, accountEnabled: body.accountEnabled ?? true, createdDateTime: new Date(now()).toISOString() };
    users.set(id, user);
    counts.createdCount++;
    const { passwordProfile: _password, ...shown } = user;
    // Emulator's choice: the create answer shows every property written, the password excepted.
    return { status: 201, headers: { Location: `${url}/v1.0/users/${id}` }, body: { '@odata.context': `${url}/v1.0/$metadata#users/$entity`, ...shown, passwordProfile: null } };
  }

  function updateUser(id: string, body: unknown): Answer {
    const user = users.get(id);
    if (user === undefined) return notFound(id);
    if (!isRecord(body)) return graphError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
    const unknown = unknownProperty(body);
    if (unknown) return unknown;
    let identities = user.identities;
    if (body.identities !== undefined) {
      const checked = validateIdentities(body.identities);
      if (!Array.isArray(checked)) return checked;
      const others = [...users.values()].filter((other) => other.id !== id);
      if (others.some((other) => other.identities.some((stored) => checked.some((identity) => sameId(stored, identity))))) return conflict('identities');
      identities = checked;
    }
    const policies = policiesOf(body.passwordPolicies ?? user.passwordPolicies);
    const passwordProblem = checkPassword(body.passwordProfile, policies, false);
    if (passwordProblem) return passwordProblem;
    if (typeof body.userPrincipalName === 'string') {
      const upn = body.userPrincipalName.toLowerCase();
      if ([...users.values()].some((other) => other.id !== id && other.userPrincipalName.toLowerCase() === upn)) return conflict('userPrincipalName');
    }
    users.set(id, { ...user, ...body, id, identities, userPrincipalName: typeof body.userPrincipalName === 'string' ? body.userPrincipalName : user.userPrincipalName });
    return { status: 204, headers: {} };
  }

  const literal = "'((?:[^']|'')*)'";
  const filterShape = new RegExp(`^identities/any\\((\\w+):\\1/(issuerAssignedId|issuer) eq ${literal} and \\1/(issuerAssignedId|issuer) eq ${literal}\\)$`, 'u');

  function listUsers(query: URLSearchParams): Answer {
    const filter = query.get('$filter');
    let found = [...users.values()];
    if (filter !== null) {
      const match = filterShape.exec(filter.trim());
      const [first, firstValue, second, secondValue] = match ? [match[2], match[3], match[4], match[5]] : [];
      if (!match || first === second || firstValue === undefined || secondValue === undefined) {
        // §3.1: both issuer and issuerAssignedId are required. Emulator's choice: code and message; other filters unsupported.
        return graphError(400, 'Request_UnsupportedQuery', 'Unsupported or invalid query filter clause specified for property \'identities\' of resource \'User\'.');
      }
      const unquote = (text: string): string => text.replaceAll("''", "'");
      const wanted: ObjectIdentityRecord = {
        signInType: '',
        issuer: unquote(first === 'issuer' ? firstValue : secondValue),
        issuerAssignedId: unquote(first === 'issuerAssignedId' ? firstValue : secondValue),
      };
      found = found.filter((user) =>
        user.identities.some((identity) => {
          if (identity.issuerAssignedId.toLowerCase() !== wanted.issuerAssignedId.toLowerCase()) return false;
          return localSignInTypes.test(identity.signInType) || identity.issuer.toLowerCase() === wanted.issuer.toLowerCase();
        }),
      );
    }
    const select = query.get('$select');
    // Paging as Graph documents it: at most $top (default 100, max 999) per page and an opaque @odata.nextLink.
    // Emulator's choice: the skip token is the offset into the users in creation order.
    const top = Math.min(Math.max(Number(query.get('$top') ?? 100) || 100, 1), 999);
    const skip = Math.max(Number(query.get('$skiptoken') ?? 0) || 0, 0);
    const page = found.slice(skip, skip + top);
    const next = new URLSearchParams(query);
    next.set('$skiptoken', String(skip + top));
    return {
      status: 200,
      headers: {},
      body: {
        '@odata.context': `${url}/v1.0/$metadata#users`,
        value: page.map((user) => view(user, select)),
        ...(skip + top < found.length ? { '@odata.nextLink': `${url}/v1.0/users?${next.toString()}` } : {}),
      },
    };
  }

  /** One Graph operation (a whole request, or one batch item), after authentication. */
  /**
   * The tenant's b2c-extensions-app and its extension properties (§1.4): GET /applications?$filter=appId eq '...',
   * GET and POST /applications/{id}/extensionProperties. Emulator's choice: not throttled, one app per emulator.
   */
  const extensionsApp = { id: randomUUID(), appId: options.extensionsAppId ?? '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9', properties: new Map<string, Record<string, unknown>>() };
  function executeApplications(method: string, path: string, query: URLSearchParams, body: unknown): Answer | undefined {
    if (path === '/applications' && method === 'GET') {
      const appId = /^appId eq '([^']*)'$/u.exec(query.get('$filter') ?? '')?.[1];
      const value = appId === extensionsApp.appId ? [{ id: extensionsApp.id, appId: extensionsApp.appId, displayName: 'b2c-extensions-app' }] : [];
      return { status: 200, headers: {}, body: { value } };
    }
    const match = /^\/applications\/([^/]+)\/extensionProperties$/u.exec(path);
    if (!match) return undefined;
    if (match[1] !== extensionsApp.id) return graphError(404, 'Request_ResourceNotFound', `Resource '${match[1] ?? ''}' does not exist.`);
    if (method === 'GET') return { status: 200, headers: {}, body: { value: [...extensionsApp.properties.values()] } };
    if (method !== 'POST') return graphError(405, 'Request_BadRequest', 'Method not allowed.');
    const input = body as { name?: unknown; dataType?: unknown; targetObjects?: unknown } | null;
    if (typeof input?.name !== 'string' || typeof input.dataType !== 'string' || !Array.isArray(input.targetObjects)) {
      return graphError(400, 'Request_BadRequest', 'name, dataType and targetObjects are required.');
    }
    const name = `extension_${extensionsApp.appId.replaceAll('-', '')}_${input.name}`;
    if (extensionsApp.properties.has(name)) return graphError(400, 'Request_BadRequest', `An extension property exists with the name ${name}.`);
    const property = { id: randomUUID(), name, dataType: input.dataType, targetObjects: input.targetObjects };
    extensionsApp.properties.set(name, property);
    return { status: 201, headers: {}, body: property };
  }

  function execute(method: string, target: string, body: unknown): Answer {
    const parsed = new URL(target, 'http://graph.local');
    const path = decodeURIComponent(parsed.pathname);
    const query = parsed.searchParams;
    const userMatch = /^\/users\/([^/]+)$/u.exec(path);
    const applicationsAnswer = executeApplications(method, path, query, body);
    if (applicationsAnswer) return applicationsAnswer;
    const known = /^\/users\/?$/u.test(path) || userMatch !== null;
    if (!known) return graphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/')[1] ?? ''}'.`); // Emulator's choice.
    const cost = charge(costOf(method, path, query));
    if ('status' in cost) return cost;
    let answer: Answer;
    if (userMatch === null) {
      if (method === 'POST') answer = createUser(body);
      else if (method === 'GET') answer = listUsers(query);
      else answer = graphError(405, 'Request_BadRequest', 'Method not allowed.');
    } else {
      const id = userMatch[1] ?? '';
      if (method === 'GET') {
        const user = users.get(id);
        answer = user === undefined ? notFound(id) : { status: 200, headers: {}, body: { '@odata.context': `${url}/v1.0/$metadata#users/$entity`, ...view(user, query.get('$select')) } };
      } else if (method === 'PATCH') answer = updateUser(id, body);
      else if (method === 'DELETE') {
        answer = users.delete(id) ? { status: 204, headers: {} } : notFound(id);
      } else answer = graphError(405, 'Request_BadRequest', 'Method not allowed.');
    }
    answer.headers = { ...cost.headers, ...answer.headers };
    return answer;
  }

  // ---- $batch ---------------------------------------------------------------------------------------

  function batchItemFault(fault: NonNullable<GraphEmulatorFaults['batchItem']>, itemNumber: number): Answer {
    const retryAfter = typeof fault.retryAfter === 'function' ? fault.retryAfter(itemNumber) : (fault.retryAfter ?? null);
    const status = fault.status ?? 429;
    if (status === 429) return throttled(retryAfter, 'WriteLimitExceeded', 'WriteLimit');
    counts.unavailableCount++;
    const answer = graphError(status, 'serviceNotAvailable', 'Service unavailable.'); // Emulator's choice: code and text, as for `unavailable`.
    if (retryAfter !== null) answer.headers['Retry-After'] = retryAfter;
    return answer;
  }

  function batch(body: unknown, seq: number): Answer {
    // Emulator's choice: the texts of the whole-batch 400s.
    if (!isRecord(body) || !Array.isArray(body.requests)) return graphError(400, 'BadRequest', 'Invalid batch payload format.');
    const items: unknown[] = body.requests;
    if (items.length > 20) return graphError(400, 'BadRequest', 'Number of included requests in the request should be less than or equal to 20.');
    const seen = new Set<string>();
    for (const item of items) {
      if (!isRecord(item) || typeof item.id !== 'string' || item.id === '' || typeof item.method !== 'string' || typeof item.url !== 'string') {
        return graphError(400, 'BadRequest', 'Invalid batch payload format.');
      }
      if (seen.has(item.id.toLowerCase())) return graphError(400, 'BadRequest', 'Batch request contains duplicate Id.');
      const headers = isRecord(item.headers) ? item.headers : {};
      if (item.body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
        return graphError(400, 'BadRequest', 'Content-Type header is required for a request with a body.');
      }
      const dependsOn: unknown[] = Array.isArray(item.dependsOn) ? item.dependsOn : [];
      if (dependsOn.some((id) => typeof id !== 'string' || !seen.has(id.toLowerCase()))) return graphError(400, 'BadRequest', 'Invalid dependsOn.');
      seen.add(item.id.toLowerCase());
    }
    const statusById = new Map<string, number>();
    const responses: Record<string, unknown>[] = [];
    // Emulator's choice: items run one after another in request order (Graph may run independent ones in parallel).
    for (const raw of items) {
      const item = raw as { id: string; method: string; url: string; body?: unknown; dependsOn?: string[] };
      counts.batchItemCount++;
      const failedDependency = (item.dependsOn ?? []).some((id) => (statusById.get(id.toLowerCase()) ?? 500) >= 400);
      const itemFault = faults.batchItem !== undefined && selected(faults.batchItem, counts.batchItemCount) ? faults.batchItem : undefined;
      const answer = failedDependency
        ? graphError(424, 'FailedDependency', 'A request this request depends on failed.') // Emulator's choice: the body.
        : itemFault !== undefined
          ? batchItemFault(itemFault, counts.batchItemCount)
          : execute(item.method.toUpperCase(), item.url.startsWith('/') ? item.url : `/${item.url}`, item.body);
      statusById.set(item.id.toLowerCase(), answer.status);
      requests.push({ seq, kind: 'batch-item', method: item.method.toUpperCase(), path: item.url, status: answer.status, batchItemId: item.id });
      const headers: Record<string, string> = { ...answer.headers };
      if (answer.body !== undefined) headers['Content-Type'] = 'application/json';
      responses.push({ id: item.id, status: answer.status, headers, ...(answer.body === undefined ? {} : { body: answer.body }) });
    }
    if (batchOrder === 'reverse') responses.reverse();
    return { status: 200, headers: {}, body: { responses: faults.batchResponses === undefined ? responses : faults.batchResponses(responses) } };
  }

  // ---- HTTP -----------------------------------------------------------------------------------------

  function send(res: ServerResponse, answer: Answer, clientRequestId: string | undefined): void {
    const headers: Record<string, string> = {
      'request-id': randomUUID(),
      ...(clientRequestId === undefined ? {} : { 'client-request-id': clientRequestId }),
      ...answer.headers,
    };
    if (answer.body === undefined) {
      res.writeHead(answer.status, headers).end();
      return;
    }
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) }).end(text);
  }

  async function readBody(req: IncomingMessage): Promise<string | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > maxBodyBytes) return undefined;
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const path = target.split('?')[0] ?? '';
    const clientRequestId = typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : undefined;
    const connection = { gone: false };
    res.once('close', () => {
      connection.gone = true;
    });
    const raw = await readBody(req);
    if (raw === undefined) {
      send(res, graphError(413, 'Request_EntityTooLarge', 'The request is too large.'), clientRequestId);
      return;
    }

    const tokenMatch = /^\/([^/]+)\/oauth2\/v2\.0\/token$/u.exec(path);
    if (tokenMatch && method === 'POST') {
      const answer = handleToken(decodeURIComponent(tokenMatch[1] ?? ''), raw);
      requests.push({ seq: counts.tokenRequestCount, kind: 'token', method, path, status: answer.status });
      send(res, answer, undefined);
      return;
    }
    const versioned = /^\/(v1\.0|beta)(\/.*)$/u.exec(target);
    if (!versioned) {
      send(res, graphError(404, 'NotFound', 'Unknown path.'), clientRequestId);
      return;
    }
    const seq = ++counts.requestCount;
    const inner = versioned[2] ?? '/';
    const finish = (answer: Answer): void => {
      requests.push({ seq, kind: 'graph', method, path: target, status: answer.status });
      send(res, answer, clientRequestId);
    };

    const denied = checkToken(req.headers.authorization);
    if (denied) {
      finish(denied);
      return;
    }
    const delay = faults.delay;
    if (delay !== undefined && selected(delay, seq)) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          pending.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, delay.ms);
        pending.add(wake);
      });
      // The client gave up (its timeout) or the emulator is closing: nobody is listening, nothing is executed.
      if (connection.gone || closing) {
        requests.push({ seq, kind: 'graph', method, path: target, status: 0 });
        return;
      }
    }
    const unavailable = faults.unavailable;
    if (unavailable !== undefined && selected(unavailable, seq)) {
      counts.unavailableCount++;
      const answer = graphError(unavailable.status ?? 503, 'serviceNotAvailable', 'Service unavailable.'); // Emulator's choice: code and text.
      if (unavailable.retryAfter !== undefined) answer.headers['Retry-After'] = unavailable.retryAfter;
      finish(answer);
      return;
    }
    const throttle = faults.throttle;
    if (throttle !== undefined && selected(throttle, seq)) {
      finish(throttled(throttle.retryAfter === undefined ? '0.5' : throttle.retryAfter, 'WriteLimitExceeded', 'WriteLimit'));
      return;
    }

    let body: unknown;
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        finish(graphError(400, 'BadRequest', 'Unable to read JSON request payload.')); // Emulator's choice.
        return;
      }
    }
    finish(inner.split('?')[0] === '/$batch' && method === 'POST' ? batch(body, seq) : execute(method, inner, body));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, graphError(500, 'InternalServerError', `emulator failure: ${String(error)}`), undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tenantId,
    tenantDomain,
    clientId,
    clientSecret,
    users,
    extensionProperties: () => [...extensionsApp.properties.keys()],
    requests,
    setFaults(next) {
      faults = next;
    },
    revokeTokens() {
      for (const entry of tokens.values()) entry.revoked = true;
    },
    summary() {
      return { ...counts };
    },
    async close() {
      closing = true;
      for (const wake of [...pending]) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
