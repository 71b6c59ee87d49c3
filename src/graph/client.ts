/**
 * The Microsoft Graph client of the JIT endpoint (create the user at first sign-in) and the bulk engine
 * (create many users under the throttling quotas). Only what those need: create, find by identity, read,
 * update (extension attributes), and $batch. No SDK: global fetch, so nothing heavy loads.
 */
import { z } from 'zod';
import { LegacyIdpError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { hasFunction, parseOptions } from '../core/validate.js';
import { prepareBatch, readBatchAnswer, type BatchItemResult, type BatchRequest } from './batch.js';
import { GraphError } from './errors.js';
import type { FetchLike } from './http.js';
import { defaultSleep, type RetryPolicy } from './retry.js';
import type { ThrottleInfo } from './throttle.js';
import { clientCredentialsSource, createTokenCache, type AccessToken, type GraphTokenCredential } from './token.js';
import { createTransport, type GraphAnswer, type GraphCallOptions, type GraphRequest } from './transport.js';
import { identityFilter, passwordsIn, type GraphUser, type GraphUserCreate, type GraphUserWrite } from './users.js';

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** http(s) base URL without a trailing slash; plain http only to this machine (the client secret travels on it). */
const baseUrlSchema = z
  .url({ protocol: /^https?$/u })
  .refine((value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || loopbackHosts.has(url.hostname);
  }, 'must be https (plain http is accepted for 127.0.0.1 and localhost only)')
  .refine((value) => new URL(value).search === '' && new URL(value).hash === '', 'must not have a query or fragment')
  .transform((value) => value.replace(/\/+$/u, ''));

const isFunction = (value: unknown): boolean => typeof value === 'function';

/**
 * The longest Retry-After waited out (5 minutes): the default of the client's `maxRetryAfterMs`, and so of the
 * Graph sink's and of the pacer's pauses, which follow the client. A bogus or far-future value (`99999999`, an
 * HTTP date in 2100) then fails the call instead of stopping it for days.
 */
export const defaultMaxRetryAfterMs = 300_000;

const graphClientSchema = z
  .object({
    /** Directory (tenant) id, or its domain (`contoso.onmicrosoft.com`). */
    tenantId: z.string().regex(/^[A-Za-z0-9.-]+$/u, 'expected a tenant id (GUID) or domain'),
    /** The app registration's client id (with clientSecret). */
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    /** Or a token source of your own (managed identity, certificate credential, ...). */
    credential: z.custom<GraphTokenCredential>(hasFunction('getToken'), 'expected an object with getToken()').optional(),
    authorityUrl: baseUrlSchema.default('https://login.microsoftonline.com'),
    graphUrl: baseUrlSchema.default('https://graph.microsoft.com'),
    apiVersion: z.enum(['v1.0', 'beta']).default('v1.0'),
    /** Per attempt, body included. */
    timeoutMs: z.number().int().min(1).max(300_000).default(10_000),
    /** Retries of 429/5xx/connection failures after the first attempt. */
    maxRetries: z.number().int().min(0).max(20).default(4),
    backoffBaseMs: z.number().int().min(0).default(500),
    backoffMaxMs: z.number().int().min(0).default(30_000),
    /** A Retry-After longer than this is not waited out: the error goes to the caller. */
    maxRetryAfterMs: z.number().int().min(0).default(defaultMaxRetryAfterMs),
    /** `x-ms-throttle-priority` on every request ("High" only for user-initiated work, such as a JIT sign-in). */
    throttlePriority: z.enum(['Low', 'Normal', 'High']).optional(),
    onThrottleInfo: z.custom<(info: ThrottleInfo) => void>(isFunction, 'expected a function').optional(),
    fetch: z.custom<FetchLike>(isFunction, 'expected a fetch function').optional(),
    logger: z.custom<Logger>(hasFunction('warn'), 'expected a Logger').optional(),
    /** In [0, 1): jitter of the backoff. */
    random: z.custom<() => number>(isFunction, 'expected a function returning a number in [0, 1)').optional(),
    sleep: z.custom<(ms: number, signal?: AbortSignal) => Promise<void>>(isFunction, 'expected a function (ms, signal) => Promise').optional(),
    /** Epoch milliseconds: token expiry and HTTP-date Retry-After. */
    now: z.custom<() => number>(isFunction, 'expected a function returning epoch ms').optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.credential !== undefined) {
      if (options.clientSecret !== undefined) ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'give either clientSecret or credential, not both' });
      return;
    }
    if (options.clientId === undefined) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'required (with clientSecret), unless credential is given' });
    if (options.clientSecret === undefined) ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'required (with clientId), unless credential is given' });
  });

export type GraphClientOptions = z.input<typeof graphClientSchema>;

export interface IdentityLookup {
  /** The tenant's default domain for local accounts (`contoso.onmicrosoft.com`); Graph requires it in the filter. */
  issuer: string;
  issuerAssignedId: string;
  /**
   * When given, only a user whose identity of this type carries the id counts. Graph ignores the issuer of
   * userName and emailAddress identities, so the type is what tells `bob` the user name from other identities.
   */
  signInType?: string;
}

export interface GraphClient {
  /** POST /users; the created user (201), with its `id`. An existing identity or UPN: GraphError, isObjectConflict true. */
  createUser(user: GraphUserCreate, options?: GraphCallOptions): Promise<GraphUser>;
  /** GET /users?$filter=identities/any(...); the user, or null. More than one match is an error. */
  findUserByIdentity(identity: IdentityLookup, options?: GraphCallOptions & { select?: readonly string[] }): Promise<GraphUser | null>;
  /** GET /users/{id}; null when Graph answers 404. */
  getUser(id: string, select?: readonly string[], options?: GraphCallOptions): Promise<GraphUser | null>;
  /** PATCH /users/{id} (extension attributes, password, profile). */
  updateUser(id: string, patch: GraphUserWrite, options?: GraphCallOptions): Promise<void>;
  /** POST /$batch with at most 20 requests; results in request order. Items are not retried (see batch.ts). */
  batch(requests: readonly BatchRequest[], options?: GraphCallOptions): Promise<BatchItemResult[]>;
  /** Any other Graph call, with the same token, retry and error handling. */
  request(request: GraphRequest): Promise<GraphAnswer>;
}

/** Properties a lookup asks for by default: identities is not in Graph's default set. */
const defaultSelect = ['id', 'displayName', 'identities', 'mail', 'givenName', 'surname', 'userPrincipalName', 'accountEnabled'];
const propertyName = /^[A-Za-z0-9_]+$/u;

function selectQuery(select: readonly string[] | undefined, required: readonly string[] = []): string {
  if (select === undefined || select.length === 0) return '';
  const names = [...new Set([...required, ...select])];
  for (const name of names) {
    if (!propertyName.test(name)) throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'select: property names are letters, digits and underscores');
  }
  return `$select=${names.join(',')}`;
}

/** `.`, `..` and their percent-encoded spellings: URL parsing resolves them, wherever they stand in a path. */
const dotSegment = /^(?:\.|%2e){1,2}$/iu;

function userPath(id: string): string {
  if (id === '') throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'user id must not be empty');
  const segment = encodeURIComponent(id);
  // encodeURIComponent leaves dots alone, so "/users/.." would become "/" (GET lists the API root, "." lists users).
  if (dotSegment.test(segment)) throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'user id must not be "." or ".."');
  return `/users/${segment}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isUser = (value: unknown): value is GraphUser => isRecord(value) && typeof value.id === 'string' && value.id !== '';

export function createGraphClient(options: GraphClientOptions): GraphClient {
  const config = parseOptions(graphClientSchema, options, 'createGraphClient');
  const logger = config.logger ?? silentLogger;
  const now = config.now ?? Date.now;
  const fetchFn: FetchLike = config.fetch ?? ((input, init) => fetch(input, init));
  const retry: RetryPolicy = {
    maxRetries: config.maxRetries,
    backoffBaseMs: config.backoffBaseMs,
    backoffMaxMs: config.backoffMaxMs,
    maxRetryAfterMs: config.maxRetryAfterMs,
    random: config.random ?? Math.random,
    sleep: config.sleep ?? defaultSleep,
    now,
  };
  const secrets = config.clientSecret === undefined ? [] : [config.clientSecret];
  const credential = config.credential;
  const source: () => Promise<AccessToken> =
    credential !== undefined
      ? () => credential.getToken()
      : clientCredentialsSource({
          tokenUrl: `${config.authorityUrl}/${encodeURIComponent(config.tenantId)}/oauth2/v2.0/token`,
          clientId: config.clientId ?? '',
          clientSecret: config.clientSecret ?? '',
          scope: `${config.graphUrl}/.default`,
          fetch: fetchFn,
          timeoutMs: config.timeoutMs,
          retry,
          logger,
        });
  const transport = createTransport({
    baseUrl: `${config.graphUrl}/${config.apiVersion}`,
    fetch: fetchFn,
    timeoutMs: config.timeoutMs,
    retry,
    tokens: createTokenCache(source, now),
    logger,
    onThrottleInfo: config.onThrottleInfo,
    throttlePriority: config.throttlePriority,
    secrets,
  });

  const call = (request: GraphRequest, callOptions: GraphCallOptions | undefined): Promise<GraphAnswer> =>
    transport.send({
      ...request,
      ...(callOptions?.signal === undefined ? {} : { signal: callOptions.signal }),
      ...(callOptions?.throttlePriority === undefined ? {} : { throttlePriority: callOptions.throttlePriority }),
    });

  return {
    async createUser(user, callOptions) {
      const answer = await call({ method: 'POST', path: '/users', body: user, secrets: passwordsIn(user) }, callOptions);
      if (!isUser(answer.body)) {
        throw new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', `Graph POST /users answered ${answer.status} without a user id`, {
          status: answer.status,
          method: 'POST',
          path: '/users',
          ...(answer.requestId === undefined ? {} : { requestId: answer.requestId }),
        });
      }
      return answer.body;
    },

    async findUserByIdentity(identity, callOptions) {
      const select = selectQuery(callOptions?.select ?? defaultSelect, ['id', 'identities']);
      const path = `/users?$filter=${encodeURIComponent(identityFilter(identity.issuer, identity.issuerAssignedId))}&${select}`;
      const answer = await call({ method: 'GET', path }, callOptions);
      const value = isRecord(answer.body) && Array.isArray(answer.body.value) ? answer.body.value.filter(isUser) : undefined;
      if (value === undefined) {
        throw new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', 'Graph GET /users answered without a value array', { method: 'GET', path: '/users' });
      }
      const wanted = identity.issuerAssignedId.toLowerCase();
      const matches =
        identity.signInType === undefined
          ? value
          : value.filter((user) =>
              (user.identities ?? []).some((item) => item.signInType === identity.signInType && item.issuerAssignedId.toLowerCase() === wanted),
            );
      if (matches.length > 1) {
        // Identities are unique per tenant, so two matches mean the lookup is not what the caller thinks it is.
        throw new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', `Graph GET /users found ${matches.length} users for one identity; give signInType`, {
          method: 'GET',
          path: '/users',
        });
      }
      return matches[0] ?? null;
    },

    async getUser(id, select, callOptions) {
      const query = selectQuery(select, ['id']);
      try {
        const answer = await call({ method: 'GET', path: `${userPath(id)}${query === '' ? '' : `?${query}`}` }, callOptions);
        if (!isUser(answer.body)) throw new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', 'Graph GET /users/{id} answered without a user', { method: 'GET' });
        return answer.body;
      } catch (error) {
        // "No such user" is an answer, not a failure.
        if (error instanceof GraphError && error.status === 404) return null;
        throw error;
      }
    },

    async updateUser(id, patch, callOptions) {
      await call({ method: 'PATCH', path: userPath(id), body: patch, secrets: passwordsIn(patch) }, callOptions);
    },

    async batch(requests, callOptions) {
      const prepared = prepareBatch(requests);
      if (prepared.ids.length === 0) return [];
      const answer = await call({ method: 'POST', path: '/$batch', body: prepared.payload, secrets: prepared.secrets }, callOptions);
      return readBatchAnswer(answer.body, prepared, { secrets, now: now(), report: (info) => {
        transport.reportThrottle(info);
      } });
    },

    request(request) {
      return transport.send(request);
    },
  };
}
