import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { CallerAuthenticator, CallerIdentity } from './caller-auth.js';

/**
 * What every JIT protocol shares: caller authentication first, then method, content type and a bounded
 * body, then the protocol's own input schema, then the protocol's answer; one structured, secret-free log
 * line per call. A protocol only parses its input, decides, and shapes its answers (success and errors).
 * Handlers are web-standard `(Request) => Promise<Response>`, so any host can run them (src/jit/hosts).
 */

/** What the host knows about the connection and a web `Request` cannot carry. */
export interface JitConnectionInfo {
  /** The peer address (after the host applied its own proxy rules). */
  remoteAddress?: string;
  /** The client certificate of a mutual-TLS connection, when the host asked for one. */
  clientCertificate?: {
    /** SHA-256 fingerprint, `AA:BB:...` as Node prints it (compared case- and colon-insensitively). */
    fingerprint256?: string;
    /** Subject fields, e.g. `{ CN: 'b2c-caller' }`. */
    subject?: Readonly<Record<string, string | string[]>>;
    /** The TLS stack checked the chain against the server's trusted CAs. */
    authorized?: boolean;
  };
}

export type JitHandler = (request: Request, connection?: JitConnectionInfo) => Promise<Response>;

/** The failures the pipeline answers before a protocol decides anything. */
export type JitErrorKind = 'unauthorized' | 'method_not_allowed' | 'unsupported_media_type' | 'payload_too_large' | 'bad_request' | 'internal';

export const jitErrorStatus: Readonly<Record<JitErrorKind, number>> = {
  unauthorized: 401,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  payload_too_large: 413,
  bad_request: 400,
  internal: 500,
};

export interface JitCallContext {
  requestId: string;
  clientIp: string | undefined;
  caller: CallerIdentity;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  logger: Logger;
  /** `performance.now()` when the request arrived: the protocol's deadline counts from here. */
  startedAt: number;
}

/** What a protocol's `handle` gives back: the answer, and what the log line should say about it. */
export interface JitResult {
  response: Response;
  /** The verify outcome or protocol decision, for the log (`valid`, `invalid`, `signup_conflict`...). */
  outcome: string;
  /** The normalized username, for the log. */
  username?: string;
  /** Extra log fields (never a secret). */
  fields?: Record<string, unknown>;
}

export interface JitProtocol<Input> {
  /** `b2c`, `entra`, `generic`: the log line's `protocol`. */
  name: string;
  input: z.ZodType<Input>;
  /** The protocol's own answer for a pipeline failure; `detail` is for debug answers and logs only. */
  errorResponse(kind: JitErrorKind, context: { requestId: string; detail: string }): Response;
  handle(input: Input, context: JitCallContext): Promise<JitResult>;
}

export interface JitEndpointOptions {
  /** Who may call. Required: an open endpoint is a password oracle for anyone on the network. */
  callerAuth: CallerAuthenticator;
  /** Largest accepted body (default 16 KiB: a sign-in is a few hundred bytes, an Entra JWE a few KiB). */
  maxBodyBytes?: number;
  logger?: Logger;
  /** Trust `x-request-id` from the caller as the request id (it is echoed back). Default true. */
  acceptRequestId?: boolean;
}

/** Reads at most `limit` bytes of the body; undefined when it is larger (the stream is cancelled). */
async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  if (!request.body) return new Uint8Array();
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/u;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The first zod issue as `path: message`, without the received value (it may be a password). */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const path = issue.path.length === 0 ? 'body' : issue.path.map(String).join('.');
  return `${path}: ${issue.message}`;
}

export function createJitEndpoint<Input>(protocol: JitProtocol<Input>, options: JitEndpointOptions): JitHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;
  const logger = options.logger ?? silentLogger;
  const acceptRequestId = options.acceptRequestId ?? true;

  return async (request, connection = {}) => {
    const startedAt = performance.now();
    const offered = request.headers.get('x-request-id');
    const requestId = acceptRequestId && offered !== null && requestIdPattern.test(offered) ? offered : randomUUID();
    const clientIp = connection.remoteAddress;
    const log = (status: number, outcome: string, extra: Record<string, unknown> = {}): void => {
      logger.info('jit call', {
        protocol: protocol.name,
        requestId,
        status,
        outcome,
        durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
        ...(clientIp === undefined ? {} : { clientIp }),
        ...extra,
      });
    };
    const fail = (kind: JitErrorKind, detail: string, extra: Record<string, unknown> = {}): Response => {
      const response = withRequestId(protocol.errorResponse(kind, { requestId, detail }), requestId);
      log(response.status, kind, { detail, ...extra });
      return response;
    };

    try {
      // Caller first: an unauthenticated caller learns nothing, not even whether its body was well formed.
      const caller = await options.callerAuth(request, connection);
      if (!caller.ok) return fail('unauthorized', caller.reason);
      if (request.method !== 'POST') return fail('method_not_allowed', `method ${request.method}`, { caller: caller.identity.method });
      const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') return fail('unsupported_media_type', `content-type ${type || '(none)'}`);
      const body = await readBody(request, maxBodyBytes);
      if (body === undefined) return fail('payload_too_large', `body over ${maxBodyBytes} bytes`);
      let json: unknown;
      try {
        json = JSON.parse(utf8.decode(body));
      } catch {
        // JSON.parse's message quotes the text, which holds a password: say only that it failed.
        return fail('bad_request', 'body is not valid UTF-8 JSON');
      }
      const parsed = protocol.input.safeParse(json);
      if (!parsed.success) return fail('bad_request', describeIssue(parsed.error));
      const result = await protocol.handle(parsed.data, {
        requestId,
        clientIp,
        caller: caller.identity,
        signal: request.signal,
        logger,
        startedAt,
      });
      log(result.response.status, result.outcome, {
        caller: caller.identity.method,
        ...(result.username === undefined ? {} : { username: result.username }),
        ...result.fields,
      });
      return withRequestId(result.response, requestId);
    } catch (error) {
      // A bug or an unexpected failure: the caller gets the protocol's generic error, never the exception.
      logger.error('jit call failed', { protocol: protocol.name, requestId, error: error instanceof Error ? error.name : 'unknown' });
      return fail('internal', error instanceof Error ? `${error.name}: ${error.message}` : 'unexpected failure');
    }
  };
}

/**
 * The text of answers this module built, so a host writing them back (hosts/node.ts) need not read the web
 * stream again: reading a Response body back was a large share of a call's cost behind node:http.
 */
const answerTexts = new WeakMap<Response, string>();

/** The body text of an answer made by `jsonResponse` (or re-made by the pipeline); undefined for others. */
export function answerText(response: Response): string | undefined {
  return answerTexts.get(response);
}

function withRequestId(response: Response, requestId: string): Response {
  const headers = new Headers(response.headers);
  headers.set('x-request-id', requestId);
  headers.set('cache-control', 'no-store');
  const text = answerTexts.get(response);
  const answer = new Response(text ?? response.body, { status: response.status, headers });
  if (text !== undefined) answerTexts.set(answer, text);
  return answer;
}

/** A JSON answer with the content type every IdP checks (Entra fails 1003006 without it). */
export function jsonResponse(status: number, body: unknown): Response {
  const text = JSON.stringify(body);
  const response = new Response(text, { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
  answerTexts.set(response, text);
  return response;
}
