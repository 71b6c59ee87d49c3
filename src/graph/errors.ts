/**
 * Graph failures as one typed error. A GraphError is a LegacyIdpError (so `isLegacyIdpError` and the CLI's
 * one-line printing work on it) with what an operator needs for a support case: HTTP status, Graph's
 * `error.code`, the `details` array (where ObjectConflict lives), the request ids. It never carries the
 * request body: a create holds a password.
 */
import { LegacyIdpError } from '../core/errors.js';

export type GraphErrorCode = 'ERR_LEGACY_IDP_GRAPH_ERROR' | 'ERR_LEGACY_IDP_GRAPH_UNAVAILABLE' | 'ERR_LEGACY_IDP_GRAPH_AUTH';

export interface GraphErrorDetail {
  code: string;
  target?: string;
  message?: string;
}

export interface GraphErrorInit {
  /** HTTP status of the answer; absent for timeouts and connection failures. */
  status?: number;
  /** Graph's `error.code` (`Request_BadRequest`, `TooManyRequests`, ...) or the token endpoint's `error`. */
  graphCode?: string;
  details?: readonly GraphErrorDetail[];
  /** Graph's `request-id` (header, else innerError), for a support case. */
  requestId?: string;
  /** The `client-request-id` this library sent. */
  clientRequestId?: string;
  /** The answer's Retry-After, in seconds (fractions kept). */
  retryAfterSeconds?: number;
  method?: string;
  /** The request path without its query string (a filter holds a user's e-mail address). */
  path?: string;
  cause?: unknown;
}

export class GraphError extends LegacyIdpError {
  declare readonly code: GraphErrorCode;
  readonly status: number | undefined;
  readonly graphCode: string | undefined;
  readonly details: readonly GraphErrorDetail[];
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly method: string | undefined;
  readonly requestPath: string | undefined;

  constructor(code: GraphErrorCode, message: string, init: GraphErrorInit = {}) {
    super(code, message, init.cause === undefined ? {} : { cause: init.cause });
    this.status = init.status;
    this.graphCode = init.graphCode;
    this.details = init.details ?? [];
    this.requestId = init.requestId;
    this.clientRequestId = init.clientRequestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.method = init.method;
    this.requestPath = init.path;
  }

  override toJSON(): { name: string; code: GraphErrorCode; message: string; status?: number; graphCode?: string; requestId?: string } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.graphCode === undefined ? {} : { graphCode: this.graphCode }),
      ...(this.requestId === undefined ? {} : { requestId: this.requestId }),
    };
  }
}

export function isGraphError(value: unknown): value is GraphError {
  return value instanceof GraphError;
}

const conflictMessage = /another object with the same value for property/iu;

/**
 * Graph's answer to a create (or a PATCH) whose userPrincipalName or identity is already taken: 400
 * `Request_BadRequest` with a `details` entry `{ code: 'ObjectConflict', target }` (reference §3.3). The
 * identities variant is not in Microsoft's docs, so the message text is accepted as a second signal, as
 * Microsoft's own migration tool does.
 */
export function isObjectConflict(error: unknown): error is GraphError {
  if (!isGraphError(error) || error.status !== 400) return false;
  if (error.graphCode === 'ObjectConflict' || error.details.some((detail) => detail.code === 'ObjectConflict')) return true;
  return conflictMessage.test(error.message);
}

const namedProperty = /\bproperty '?([A-Za-z_]\w*)'?/iu;
const passwordComplexity = /password complexity/iu;

/**
 * The request property a 400 refusal names: a `details` target, else the one Graph's message names ("Invalid
 * value specified for property 'displayName' of resource 'User'.", "Property identities in payload has a value
 * that does not match schema."), `passwordProfile` for the complexity refusal, which names none. Undefined for
 * any other failure, a conflict included (the object exists: nothing was refused).
 */
export function refusedProperty(error: unknown): string | undefined {
  if (!isGraphError(error) || error.status !== 400) return undefined;
  // Not a type guard's `if`: that would narrow a GraphError to never after it.
  const conflict: boolean = isObjectConflict(error);
  if (conflict) return undefined;
  const target = error.details.find((detail) => detail.target !== undefined)?.target;
  if (target !== undefined) return target;
  if (passwordComplexity.test(error.message)) return 'passwordProfile';
  return namedProperty.exec(error.message)?.[1];
}

/** The property a conflict is about (`userPrincipalName`, `identities`), when Graph named it. */
export function conflictTarget(error: GraphError): string | undefined {
  return error.details.find((detail) => detail.code === 'ObjectConflict')?.target;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOr = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export interface ParsedGraphErrorBody {
  graphCode?: string;
  message?: string;
  details: GraphErrorDetail[];
  requestId?: string;
}

/** Reads `{ error: { code, message, details, innerError } }`; tolerant, since a proxy may answer instead of Graph. */
export function parseGraphErrorBody(body: unknown): ParsedGraphErrorBody {
  const error = isRecord(body) ? body.error : undefined;
  if (!isRecord(error)) return { details: [] };
  const details: GraphErrorDetail[] = [];
  if (Array.isArray(error.details)) {
    for (const item of error.details) {
      const code = isRecord(item) ? stringOr(item.code) : undefined;
      if (!isRecord(item) || code === undefined) continue;
      const target = stringOr(item.target);
      const message = stringOr(item.message);
      details.push({ code, ...(target === undefined ? {} : { target }), ...(message === undefined ? {} : { message }) });
    }
  }
  const inner = isRecord(error.innerError) ? error.innerError : isRecord(error.innererror) ? error.innererror : undefined;
  const graphCode = stringOr(error.code);
  const message = stringOr(error.message);
  const requestId = inner ? stringOr(inner['request-id']) : undefined;
  return {
    details,
    ...(graphCode === undefined ? {} : { graphCode }),
    ...(message === undefined ? {} : { message }),
    ...(requestId === undefined ? {} : { requestId }),
  };
}

const REDACTED = '[redacted]';

/**
 * Removes known secrets from text that came from the service. Graph does not echo passwords as far as the
 * reference shows, but an error message is the one place where service text meets our logs, so the
 * passwords of the request and the client secret are replaced wherever they appear. Very short strings are
 * skipped: replacing "a" would mangle the message and hides nothing.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join(REDACTED);
  return out;
}

/** Longest service-provided message kept in an error: enough for Graph's sentences, not for a stray HTML page. */
export const maxServiceMessageLength = 300;

export function clip(text: string): string {
  const flat = text.replace(/\s+/gu, ' ').trim();
  return flat.length > maxServiceMessageLength ? `${flat.slice(0, maxServiceMessageLength)}...` : flat;
}
