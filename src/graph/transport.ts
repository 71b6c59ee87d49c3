/**
 * One Graph call as callers see it: a bearer token from the shared cache, a timeout per attempt, retries on
 * 429/5xx (Retry-After first, backoff otherwise), one token refresh when Graph says the token is no longer
 * good, throttling headers reported, and 4xx turned into a GraphError on the first answer.
 */
import { randomUUID } from 'node:crypto';
import { LegacyIdpError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { clip, GraphError, parseGraphErrorBody, scrubSecrets, type GraphErrorCode, type GraphErrorDetail, type ParsedGraphErrorBody } from './errors.js';
import { describeContentType, describeNetworkFailure, exchange, isHttpFailure, isUnreadableAnswer, unreadableAnswerError, type FetchLike } from './http.js';
import { isRetryableStatus, retryAfterSecondsOf, throwIfAborted, withRetries, type AttemptResult, type RetryPolicy } from './retry.js';
import { readThrottleInfo, type ThrottleInfo } from './throttle.js';
import type { TokenCache } from './token.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type ThrottlePriority = 'Low' | 'Normal' | 'High';

export interface GraphCallOptions {
  /** The caller's deadline: aborts the request and any wait between retries (ERR_LEGACY_IDP_DEADLINE_EXCEEDED). */
  signal?: AbortSignal;
  /** `x-ms-throttle-priority` for this call (overrides the client's). */
  throttlePriority?: ThrottlePriority;
}

export interface GraphRequest extends GraphCallOptions {
  method: HttpMethod;
  /** Path below the API version, with its query: `/users?$filter=...`. */
  path: string;
  /** Serialized as JSON. */
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  /** Strings (passwords of the body) that must not reach an error message even if the service echoed them. */
  secrets?: readonly string[];
}

export interface GraphAnswer {
  status: number;
  headers: Headers;
  body: unknown;
  requestId: string | undefined;
}

export interface TransportSettings {
  /** `https://graph.microsoft.com/v1.0` */
  baseUrl: string;
  fetch: FetchLike;
  timeoutMs: number;
  retry: RetryPolicy;
  tokens: TokenCache;
  logger: Logger;
  onThrottleInfo: ((info: ThrottleInfo) => void) | undefined;
  throttlePriority: ThrottlePriority | undefined;
  /** The client secret, scrubbed from every message as a second line of defence. */
  secrets: readonly string[];
}

export interface Transport {
  send(request: GraphRequest): Promise<GraphAnswer>;
  /** Calls the caller's onThrottleInfo, shielding the request from a throwing callback. */
  reportThrottle(info: ThrottleInfo | undefined): void;
}

/** The path without its query: queries carry users' e-mail addresses, which stay out of logs and errors. */
export const pathOnly = (path: string): string => path.split('?')[0] ?? path;

export interface ErrorContext {
  method: string;
  path: string;
  clientRequestId?: string;
  secrets: readonly string[];
}

/** A GraphError from an error answer (a whole response or a batch item). */
export function errorFromAnswer(
  code: GraphErrorCode,
  status: number,
  body: unknown,
  header: (name: string) => string | undefined,
  context: ErrorContext,
  now: number,
): GraphError {
  const parsed: ParsedGraphErrorBody = parseGraphErrorBody(body);
  // The details are service text too, and util.inspect and a batch result show them: scrubbed like the message.
  const details = parsed.details.map((item): GraphErrorDetail => scrubDetail(item, context.secrets));
  const requestId = header('request-id') ?? parsed.requestId;
  const retryAfterSeconds = retryAfterSecondsOf(header('retry-after'), now);
  const detail = details.map((item) => (item.target === undefined ? item.code : `${item.code} on ${item.target}`)).join(', ');
  const serviceMessage = parsed.message === undefined ? '' : `: ${clip(scrubSecrets(parsed.message, context.secrets))}`;
  const message =
    `Graph ${context.method} ${context.path} answered ${status}${parsed.graphCode === undefined ? '' : ` ${parsed.graphCode}`}` +
    `${serviceMessage}${detail === '' ? '' : ` (${detail})`}${requestId === undefined ? '' : ` [request-id ${requestId}]`}`;
  return new GraphError(code, message, {
    status,
    details,
    method: context.method,
    path: context.path,
    ...(parsed.graphCode === undefined ? {} : { graphCode: parsed.graphCode }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(context.clientRequestId === undefined ? {} : { clientRequestId: context.clientRequestId }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

function scrubDetail(item: GraphErrorDetail, secrets: readonly string[]): GraphErrorDetail {
  const code = scrubSecrets(item.code, secrets);
  const target = item.target === undefined ? undefined : scrubSecrets(item.target, secrets);
  const message = item.message === undefined ? undefined : clip(scrubSecrets(item.message, secrets));
  return { code, ...(target === undefined ? {} : { target }), ...(message === undefined ? {} : { message }) };
}

export function createTransport(settings: TransportSettings): Transport {
  const { retry: policy, logger } = settings;

  function reportThrottle(info: ThrottleInfo | undefined): void {
    if (info === undefined || settings.onThrottleInfo === undefined) return;
    try {
      settings.onThrottleInfo(info);
    } catch (error) {
      logger.warn('onThrottleInfo threw; ignored', { error });
    }
  }

  async function send(request: GraphRequest): Promise<GraphAnswer> {
    const clientRequestId = randomUUID();
    const path = pathOnly(request.path);
    const secrets = [...settings.secrets, ...(request.secrets ?? [])];
    const context: ErrorContext = { method: request.method, path, clientRequestId, secrets };
    const priority = request.throttlePriority ?? settings.throttlePriority;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'client-request-id': clientRequestId,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(priority === undefined ? {} : { 'x-ms-throttle-priority': priority }),
      ...request.headers,
    };
    let refreshed = false;
    let attempt = 0;

    const once = async (): Promise<AttemptResult<GraphAnswer>> => {
      for (;;) {
        attempt++;
        const token = await settings.tokens.get(request.signal);
        const started = performance.now();
        const answer = await exchange(
          settings.fetch,
          { url: settings.baseUrl + request.path, method: request.method, headers: { ...headers, authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { body }) },
          settings.timeoutMs,
          request.signal,
        );
        if (isHttpFailure(answer)) {
          if (answer.failure === 'invalid-header') {
            // No cause: fetch's own error would quote the value.
            throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `Graph ${request.method} ${path}: the ${answer.header} header holds characters HTTP cannot carry`);
          }
          if (isUnreadableAnswer(answer)) {
            const call = `Graph ${request.method} ${path}`;
            throw unreadableAnswerError(answer, { code: 'ERR_LEGACY_IDP_GRAPH_ERROR', call, answerer: call, urlOption: 'graphUrl', method: request.method, path, clientRequestId });
          }
          if (answer.failure === 'aborted') throwIfAborted(request.signal);
          if (answer.failure === 'timeout') {
            logger.warn('graph request timed out', { method: request.method, path, timeoutMs: settings.timeoutMs, attempt, clientRequestId });
            throw new GraphError('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE', `Graph ${request.method} ${path} timed out after ${settings.timeoutMs} ms`, {
              method: request.method,
              path,
              clientRequestId,
              cause: answer.cause,
            });
          }
          const error = new GraphError('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE', `Graph ${request.method} ${path} failed: ${describeNetworkFailure(answer.cause)}`, {
            method: request.method,
            path,
            clientRequestId,
            cause: answer.cause,
          });
          return { retry: error, retryAfterMs: undefined };
        }
        const header = (name: string): string | undefined => answer.headers.get(name) ?? undefined;
        const requestId = header('request-id');
        const retryAfterSeconds = retryAfterSecondsOf(header('retry-after'), policy.now());
        logger.debug('graph request', {
          method: request.method,
          path,
          status: answer.status,
          durationMs: Math.round(performance.now() - started),
          attempt,
          requestId,
          clientRequestId,
        });
        reportThrottle(
          readThrottleInfo(header, {
            status: answer.status,
            method: request.method,
            path,
            ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
          }),
        );
        if (answer.status < 400) {
          // Graph answers JSON or nothing (204). Anything else is not Graph (a proxy's or login page's HTML) and
          // must not pass for success: an update would look done.
          if (answer.notJson) {
            throw new GraphError(
              'ERR_LEGACY_IDP_GRAPH_ERROR',
              `Graph ${request.method} ${path} answered ${answer.status} with a body that is not JSON (${describeContentType(answer.headers)})`,
              { status: answer.status, method: request.method, path, clientRequestId, ...(requestId === undefined ? {} : { requestId }) },
            );
          }
          return { done: { status: answer.status, headers: answer.headers, body: answer.body, requestId } };
        }

        if (answer.status === 401) {
          const parsed = parseGraphErrorBody(answer.body);
          // Graph says the token expired or was revoked before the cache thought so: fetch one fresh token, once.
          if (parsed.graphCode === 'InvalidAuthenticationToken' && !refreshed) {
            refreshed = true;
            settings.tokens.invalidate(token);
            logger.info('graph token refused; fetching a new one', { path, requestId });
            continue;
          }
          throw errorFromAnswer('ERR_LEGACY_IDP_GRAPH_AUTH', answer.status, answer.body, header, context, policy.now());
        }
        if (isRetryableStatus(answer.status)) {
          const error = errorFromAnswer('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE', answer.status, answer.body, header, context, policy.now());
          return { retry: error, retryAfterMs: retryAfterSeconds === undefined ? undefined : retryAfterSeconds * 1000 };
        }
        throw errorFromAnswer('ERR_LEGACY_IDP_GRAPH_ERROR', answer.status, answer.body, header, context, policy.now());
      }
    };

    return withRetries(
      policy,
      once,
      (event) => {
        logger.warn('graph request retried', {
          method: request.method,
          path,
          status: event.error.status,
          retry: event.retry,
          delayMs: event.delayMs,
          fromRetryAfter: event.fromRetryAfter,
          clientRequestId,
        });
      },
      request.signal,
    );
  }

  return { send, reportThrottle };
}
