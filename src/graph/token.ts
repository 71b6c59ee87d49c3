/**
 * App-only access tokens for Graph: the OAuth 2.0 client-credentials grant against the Microsoft identity
 * platform, or a caller's own token source. Tokens are cached and shared by every request of a client; a
 * bulk run of a million creates asks for a token about once an hour, not a million times (the Microsoft
 * sample had its cache commented out, reference §1.1).
 */
import type { Logger } from '../core/logger.js';
import { clip, GraphError, scrubSecrets } from './errors.js';
import { describeNetworkFailure, exchange, isHttpFailure, isUnreadableAnswer, unreadableAnswerError, type FetchLike } from './http.js';
import { abortError, isRetryableStatus, retryAfterSecondsOf, throwIfAborted, withRetries, type RetryPolicy } from './retry.js';

export interface AccessToken {
  token: string;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
}

/** A token source of the caller's (e.g. a managed identity via @azure/identity, wrapped). */
export interface GraphTokenCredential {
  getToken(): Promise<AccessToken>;
}

export interface TokenCache {
  /** A token valid for a while yet; fetches one when there is none (one fetch at a time, shared). */
  get(signal?: AbortSignal): Promise<string>;
  /** Drops `token` if it is still the cached one (Graph refused it); a newer token is kept. */
  invalidate(token: string): void;
}

/** Refresh this long before expiry, or at half the lifetime when a token lives less than twice that. */
export const refreshMarginMs = 5 * 60_000;

export function createTokenCache(source: () => Promise<AccessToken>, now: () => number): TokenCache {
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function refresh(): Promise<string> {
    try {
      const fresh = await source();
      checkBearerToken(fresh.token);
      const obtainedAt = now();
      const margin = Math.min(refreshMarginMs, Math.max(0, fresh.expiresAt - obtainedAt) / 2);
      cached = { token: fresh.token, refreshAt: fresh.expiresAt - margin };
      return fresh.token;
    } finally {
      inFlight = undefined;
    }
  }

  return {
    async get(signal) {
      throwIfAborted(signal);
      if (cached !== undefined && now() < cached.refreshAt) return cached.token;
      inFlight ??= refresh();
      return raceAbort(inFlight, signal);
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

/** RFC 6750's b64token is a subset; visible ASCII is what an Authorization header carries safely. */
const bearerToken = /^[\x21-\x7E]+$/u;

/**
 * A token that is not visible ASCII (a custom credential's bug: a newline, a NUL, a non-ASCII character) would
 * make fetch throw an error that quotes it, or worse, split the header. Refused before use, without quoting it;
 * not retried, since the same source gives the same token.
 */
function checkBearerToken(token: unknown): asserts token is string {
  if (typeof token === 'string' && bearerToken.test(token)) return;
  throw new GraphError(
    'ERR_LEGACY_IDP_GRAPH_AUTH',
    typeof token === 'string' && token !== ''
      ? 'the access token holds characters a bearer token cannot have (only visible ASCII is allowed)'
      : 'the token source gave no access token',
  );
}

/**
 * Waits for a shared promise, but lets one caller stop waiting at its deadline without cancelling the
 * fetch the other callers wait for.
 */
async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export interface ClientCredentialsSettings {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  fetch: FetchLike;
  timeoutMs: number;
  retry: RetryPolicy;
  logger: Logger;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `AADSTS7000215` from the token endpoint's `error_codes` or description: the one thing to search the docs for. */
function aadstsCode(body: Record<string, unknown>): string | undefined {
  const codes = body.error_codes;
  if (Array.isArray(codes) && typeof codes[0] === 'number') return `AADSTS${codes[0]}`;
  const description = typeof body.error_description === 'string' ? body.error_description : '';
  return /AADSTS\d+/u.exec(description)?.[0];
}

/** The client-credentials grant (RFC 6749 §4.4) as the Microsoft identity platform's v2.0 endpoint takes it. */
export function clientCredentialsSource(settings: ClientCredentialsSettings): () => Promise<AccessToken> {
  const secrets = [settings.clientSecret];
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
    scope: settings.scope,
  }).toString();
  const path = new URL(settings.tokenUrl).pathname;

  return () =>
    withRetries<AccessToken>(
      settings.retry,
      async () => {
        const answer = await exchange(
          settings.fetch,
          { url: settings.tokenUrl, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form },
          settings.timeoutMs,
        );
        if (isHttpFailure(answer)) {
          if (isUnreadableAnswer(answer)) {
            throw unreadableAnswerError(answer, { code: 'ERR_LEGACY_IDP_GRAPH_AUTH', call: 'token request', answerer: 'token endpoint', urlOption: 'authorityUrl', method: 'POST', path });
          }
          if (answer.failure === 'invalid-header') throw new GraphError('ERR_LEGACY_IDP_GRAPH_AUTH', `token request: the ${answer.header} header is not valid`, { method: 'POST', path });
          const what = answer.failure === 'timeout' ? `timed out after ${settings.timeoutMs} ms` : `failed (${describeNetworkFailure(answer.cause)})`;
          const error = new GraphError('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE', `token request ${what}`, { method: 'POST', path, cause: answer.cause });
          // A timeout has used the time budget; a refused or reset connection is worth another try.
          if (answer.failure === 'network') return { retry: error, retryAfterMs: undefined };
          throw error;
        }
        const body = isRecord(answer.body) ? answer.body : {};
        if (answer.status === 200 && typeof body.access_token === 'string' && body.access_token !== '') {
          const expiresIn = Number(body.expires_in);
          // Without a usable expires_in the token is treated as short-lived rather than trusted for an hour.
          const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 60_000;
          settings.logger.debug('graph token acquired', { expiresInSeconds: lifetimeMs / 1000 });
          return { done: { token: body.access_token, expiresAt: settings.retry.now() + lifetimeMs } };
        }
        const retryAfter = answer.headers.get('retry-after');
        if (isRetryableStatus(answer.status)) {
          const retryAfterSeconds = retryAfterSecondsOf(retryAfter, settings.retry.now());
          const error = new GraphError('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE', `token endpoint answered ${answer.status}`, {
            status: answer.status,
            method: 'POST',
            path,
            ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
          });
          return { retry: error, retryAfterMs: retryAfterSeconds === undefined ? undefined : retryAfterSeconds * 1000 };
        }
        const name = typeof body.error === 'string' ? body.error : undefined;
        const code = aadstsCode(body);
        const description = typeof body.error_description === 'string' ? clip(scrubSecrets(body.error_description.split(/\r?\n/u)[0] ?? '', secrets)) : '';
        const label = [name, code].filter((part) => part !== undefined).join(' ');
        const traceId = typeof body.trace_id === 'string' ? body.trace_id : undefined;
        throw new GraphError(
          'ERR_LEGACY_IDP_GRAPH_AUTH',
          `token endpoint refused the client credentials (${answer.status}${label === '' ? '' : ` ${label}`})${description === '' ? '' : `: ${description}`}`,
          { status: answer.status, method: 'POST', path, ...(name === undefined ? {} : { graphCode: name }), ...(traceId === undefined ? {} : { requestId: traceId }) },
        );
      },
      (event) => {
        settings.logger.warn('graph token request retried', { status: event.error.status, retry: event.retry, delayMs: event.delayMs });
      },
    );
}
