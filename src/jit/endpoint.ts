import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Logger } from '../core/logger.js';
import type { VerifyOutcome } from '../core/outcome.js';
import { silentLogger } from '../core/logger.js';
import { withSignalOf } from '../core/deadline.js';
import type { CallerAuthenticator, CallerIdentity } from './caller-auth.js';
import { readStreamUpTo } from '../core/stream.js';

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

/** What caller authentication and the pipeline read of a request: its method and headers. A web Request is one. */
export interface JitRequestHead {
  readonly method: string;
  /** Case-insensitive; repeated headers joined with `, ` (as `Headers.get` does). */
  readonly headers: { get(name: string): string | null };
}

/** A call as the pipeline sees it, whatever host it came through. */
export interface JitCall extends JitRequestHead {
  /** The body, or undefined when it is longer than `limit` bytes. */
  readBody(limit: number): Promise<Uint8Array | undefined>;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/**
 * An answer before any host writes it: status, headers (lower-case names) and the body text. Protocols build
 * these instead of web Responses, so a node:http host writes them straight to the socket: a Request and a
 * Response per call cost more than everything else a cheap sign-in does (docs/benchmarks.md).
 */
export interface JitAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  text: string;
  /**
   * The body as bytes, set only for a custom handler's web Response, whose body need not be text: hosts write
   * these when present (`text` is then their UTF-8 reading, for logs and tests).
   */
  bytes?: Uint8Array;
  /**
   * The Set-Cookie values of a custom handler's web Response, one per cookie: `headers` holds one value per name,
   * and cookies cannot be joined into one (an Expires date holds a comma). Hosts write one header line each.
   */
  setCookies?: readonly string[];
}

/** The pipeline without the web types: what `createJitEndpoint` builds and hosts may call directly. */
export type JitCallHandler = (call: JitCall, connection: JitConnectionInfo) => Promise<JitAnswer>;

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
  answer: JitAnswer;
  /** The verify outcome or protocol decision, for the log (`valid`, `invalid`, `signup_conflict`...). */
  outcome: string;
  /** The normalized username, for the log. */
  username?: string;
  /** Extra log fields (never a secret). */
  fields?: Record<string, unknown>;
  /** The Authenticator's outcome, when the call checked a password: its reason, detail and error code join the log line. */
  verified?: VerifyOutcome;
}

/** What the log line tells of a verify outcome beyond its status: operator-facing, never a secret (outcome.ts). */
function addOutcomeLogFields(fields: Record<string, unknown>, outcome: VerifyOutcome | undefined): void {
  if (outcome === undefined) return;
  if ('reason' in outcome) fields['reason'] = outcome.reason;
  if ('detail' in outcome) fields['detail'] = outcome.detail;
  if (outcome.status === 'unavailable') fields['errorCode'] = outcome.error.code;
}

export interface JitProtocol<Input> {
  /** `b2c`, `entra`, `generic`: the log line's `protocol`. */
  name: string;
  input: z.ZodType<Input>;
  /** The protocol's own answer for a pipeline failure; `detail` is for debug answers and logs only. */
  errorAnswer(kind: JitErrorKind, context: { requestId: string; detail: string }): JitAnswer;
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

/** Reads at most `limit` bytes of a web Request's body; undefined when it is larger (the stream is cancelled). */
const readWebBody = (request: Request, limit: number): Promise<Uint8Array | undefined> => readStreamUpTo(request.body as ReadableStream<Uint8Array> | null, limit);

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
  const core = createJitCallHandler(protocol, options);
  const handler: JitHandler = async (request, connection = {}) => {
    const call: JitCall = { method: request.method, headers: request.headers, signal: request.signal, readBody: (limit) => readWebBody(request, limit) };
    return answerResponse(await core(call, connection));
  };
  callHandlers.set(handler, core);
  callerChecks.set(handler, options.callerAuth);
  return handler;
}

/** The caller check of a handler `createJitEndpoint` made (a server checks it can ever pass); undefined for others. */
export function jitCallerAuth(handler: JitHandler): CallerAuthenticator | undefined {
  return callerChecks.get(handler);
}

const callerChecks = new WeakMap<JitHandler, CallerAuthenticator>();

/** The web-free pipeline behind a handler `createJitEndpoint` made; undefined for any other function. */
export function jitCallHandler(handler: JitHandler): JitCallHandler | undefined {
  return callHandlers.get(handler);
}

const callHandlers = new WeakMap<JitHandler, JitCallHandler>();

/** What one call's log line and error answers need, gathered once per call. */
interface CallRecord {
  readonly protocol: JitProtocol<unknown>;
  readonly logger: Logger;
  readonly requestId: string;
  readonly clientIp: string | undefined;
  readonly startedAt: number;
}

/** The call's one log line: protocol, request id, status, outcome, duration, client address, then `fields`' own. */
function logCall(call: CallRecord, status: number, outcome: string, fields?: Record<string, unknown>): void {
  const line: Record<string, unknown> = {
    protocol: call.protocol.name,
    requestId: call.requestId,
    status,
    outcome,
    durationMs: Math.round((performance.now() - call.startedAt) * 10) / 10,
  };
  if (call.clientIp !== undefined) line['clientIp'] = call.clientIp;
  if (fields !== undefined) Object.assign(line, fields);
  call.logger.info('jit call', line);
}

/** The protocol's error answer for a pipeline failure, logged with its detail (never sent unless debug). */
function failCall(call: CallRecord, kind: JitErrorKind, detail: string, fields?: Record<string, unknown>): JitAnswer {
  const answer = withRequestId(call.protocol.errorAnswer(kind, { requestId: call.requestId, detail }), call.requestId);
  // RFC 9110 15.5.6: a 405 names the methods the target supports (withRequestId made these headers for this answer).
  if (kind === 'method_not_allowed') (answer.headers as Record<string, string>)['allow'] = 'POST';
  const line: Record<string, unknown> = { detail };
  if (fields !== undefined) Object.assign(line, fields);
  logCall(call, answer.status, kind, line);
  return answer;
}

/**
 * A call whose client left before its body was complete: logged at info as `client_gone` with status 499 (no
 * answer was sent; nginx's number for it). The answer returned goes nowhere: the connection is gone.
 */
function clientGoneCall(call: CallRecord, caller: CallerIdentity['method']): JitAnswer {
  logCall(call, clientGoneStatus, 'client_gone', { caller, detail: 'the client closed the connection before its body was complete' });
  return { status: clientGoneStatus, headers: { 'x-request-id': call.requestId, 'cache-control': 'no-store' }, text: '' };
}

const clientGoneStatus = 499;

function createJitCallHandler<Input>(protocol: JitProtocol<Input>, options: JitEndpointOptions): JitCallHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;
  const logger = options.logger ?? silentLogger;
  const acceptRequestId = options.acceptRequestId ?? true;

  return async (request, connection) => {
    const startedAt = performance.now();
    const offered = request.headers.get('x-request-id');
    const requestId = acceptRequestId && offered !== null && requestIdPattern.test(offered) ? offered : randomUUID();
    const clientIp = connection.remoteAddress;
    const call: CallRecord = { protocol, logger, requestId, clientIp, startedAt };

    try {
      // Caller first: an unauthenticated caller learns nothing, not even whether its body was well formed.
      const caller = await options.callerAuth(request, connection);
      if (!caller.ok) return failCall(call, 'unauthorized', caller.reason);
      if (request.method !== 'POST') return failCall(call, 'method_not_allowed', `method ${request.method}`, { caller: caller.identity.method });
      const type = mediaType(request.headers.get('content-type'));
      if (type !== 'application/json') return failCall(call, 'unsupported_media_type', `content-type ${type || '(none)'}`);
      const declared = Number(request.headers.get('content-length') ?? Number.NaN);
      let body: Uint8Array | undefined;
      if (!(Number.isFinite(declared) && declared > maxBodyBytes)) {
        try {
          body = await request.readBody(maxBodyBytes);
        } catch (error) {
          // The client left before its body was complete (it gave up, or timed out while its caller check ran):
          // nobody waits for an answer and nothing failed here, so no error line and no `internal` outcome.
          if (request.signal.aborted) return clientGoneCall(call, caller.identity.method);
          throw error;
        }
      }
      if (body === undefined) return failCall(call, 'payload_too_large', `body over ${maxBodyBytes} bytes`);
      let json: unknown;
      try {
        json = JSON.parse(utf8.decode(body));
      } catch {
        // JSON.parse's message quotes the text, which holds a password: say only that it failed.
        return failCall(call, 'bad_request', 'body is not valid UTF-8 JSON');
      }
      const parsed = protocol.input.safeParse(json);
      if (!parsed.success) return failCall(call, 'bad_request', describeIssue(parsed.error));
      // The signal is read on demand: a host may make it only when something asks for it (withSignalOf says why
      // it is not a getter written here).
      const context = withSignalOf({ requestId, clientIp, caller: caller.identity, logger, startedAt }, request);
      const result = await protocol.handle(parsed.data, context);
      const line: Record<string, unknown> = { caller: caller.identity.method };
      if (result.username !== undefined) line['username'] = result.username;
      addOutcomeLogFields(line, result.verified);
      if (result.fields !== undefined) Object.assign(line, result.fields);
      logCall(call, result.answer.status, result.outcome, line);
      return withRequestId(result.answer, requestId);
    } catch (error) {
      // A bug or an unexpected failure: the caller gets the protocol's generic error, never the exception.
      logger.error('jit call failed', { protocol: protocol.name, requestId, error: error instanceof Error ? error.name : 'unknown' });
      return failCall(call, 'internal', error instanceof Error ? `${error.name}: ${error.message}` : 'unexpected failure');
    }
  };
}

/** The media type of a Content-Type header, lower case, without parameters; '' when there is none. */
function mediaType(header: string | null): string {
  if (header === null) return '';
  const end = header.indexOf(';');
  return (end === -1 ? header : header.slice(0, end)).trim().toLowerCase();
}

/**
 * The text of answers this module built, so a host writing them back (hosts/node.ts) need not read the web
 * stream again.
 */
const answerTexts = new WeakMap<Response, string>();

/** The body text of a Response made here (`jsonResponse`, `answerResponse`); undefined for others. */
export function answerText(response: Response): string | undefined {
  return answerTexts.get(response);
}

function withRequestId(answer: JitAnswer, requestId: string): JitAnswer {
  // Object.assign into a fresh object, not two spreads: this runs once per call.
  const headers: Record<string, string> = Object.assign({}, answer.headers);
  headers['x-request-id'] = requestId;
  headers['cache-control'] = 'no-store';
  return answer.bytes === undefined ? { status: answer.status, headers, text: answer.text } : { status: answer.status, headers, text: answer.text, bytes: answer.bytes };
}

/** A JitAnswer as a web Response. */
export function answerResponse(answer: JitAnswer): Response {
  if (answer.setCookies !== undefined) {
    const headers = new Headers(answer.headers);
    for (const cookie of answer.setCookies) headers.append('set-cookie', cookie);
    return new Response(answer.bytes ?? answer.text, { status: answer.status, headers });
  }
  if (answer.bytes !== undefined) return new Response(answer.bytes, { status: answer.status, headers: answer.headers });
  const response = new Response(answer.text, { status: answer.status, headers: answer.headers });
  answerTexts.set(response, answer.text);
  return response;
}

/** A JSON answer with the content type every IdP checks (Entra fails 1003006 without it). */
export function jsonAnswer(status: number, body: unknown, headers?: Readonly<Record<string, string>>): JitAnswer {
  const all: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (headers !== undefined) Object.assign(all, headers);
  return { status, headers: all, text: JSON.stringify(body) };
}

/** `jsonAnswer` as a web Response, for handlers written against the web types. */
export function jsonResponse(status: number, body: unknown): Response {
  return answerResponse(jsonAnswer(status, body));
}
