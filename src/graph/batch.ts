/**
 * JSON batching (reference §3.4): up to 20 requests in one POST /$batch. Each item is throttled on its own
 * and may fail with its own 429 while the batch answers 200, so items are not retried here: each result
 * carries its status and its own Retry-After, and the caller retries what it chooses, when it chooses
 * (SDKs do not retry batch items either). The batch POST itself is retried like any other request.
 */
import { z } from 'zod';
import { LegacyIdpError } from '../core/errors.js';
import { GraphError } from './errors.js';
import { retryAfterSecondsOf } from './retry.js';
import { readThrottleInfo, type ThrottleInfo } from './throttle.js';
import { errorFromAnswer, pathOnly, type HttpMethod } from './transport.js';
import { passwordsIn } from './users.js';

export const maxBatchRequests = 20;

export interface BatchRequest {
  /** Unique in the batch (case-insensitively); default: the position, from "1". */
  id?: string;
  method: HttpMethod;
  /** Relative to the API version: `/users`, `/users/{id}`. */
  url: string;
  headers?: Readonly<Record<string, string>>;
  /** JSON body; Content-Type application/json is added when absent (Graph requires it with a body). */
  body?: unknown;
  /** Ids this item waits for; a failed dependency answers 424. */
  dependsOn?: readonly string[];
}

export interface BatchItemResult {
  id: string;
  status: number;
  /** The item's headers, names lower-cased. */
  headers: Readonly<Record<string, string>>;
  body: unknown;
  /** The item's own Retry-After, in seconds (fractions kept), when it has one (429, 503). */
  retryAfterSeconds?: number;
  /** For status >= 400: the item's answer as a GraphError (use isObjectConflict on it). */
  error?: GraphError;
}

const requestSchema = z
  .object({
    id: z.string().min(1).optional(),
    method: z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']),
    url: z
      .string()
      .startsWith('/', 'expected a path relative to the API version, such as /users')
      .refine((url) => !url.includes('://') && !/^\/(v1\.0|beta)\//u.test(url), 'expected a path relative to the API version, such as /users'),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    dependsOn: z.array(z.string().min(1)).optional(),
  })
  .strict();

export interface PreparedBatch {
  payload: { requests: Record<string, unknown>[] };
  ids: string[];
  items: { method: string; path: string }[];
  secrets: string[];
}

function invalid(message: string): LegacyIdpError {
  return new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `batch: ${message}`);
}

/** Validates before anything is sent: a batch Graph would refuse as a whole costs a round trip and quota. */
export function prepareBatch(requests: readonly BatchRequest[]): PreparedBatch {
  if (requests.length > maxBatchRequests) throw invalid(`at most ${maxBatchRequests} requests per batch (got ${requests.length})`);
  const ids: string[] = [];
  const seen = new Set<string>();
  const payload: Record<string, unknown>[] = [];
  const items: { method: string; path: string }[] = [];
  const secrets: string[] = [];
  requests.forEach((request, index) => {
    const parsed = requestSchema.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(`request ${index}${issue && issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : ''}: ${issue?.message ?? 'invalid'}`);
    }
    const item = parsed.data;
    const id = item.id ?? String(index + 1);
    // Graph compares batch ids case-insensitively (reference §3.4).
    if (seen.has(id.toLowerCase())) throw invalid(`duplicate id "${id}" (ids are compared case-insensitively)`);
    // Checked before the item's own id is added: an item cannot depend on itself.
    for (const dependency of item.dependsOn ?? []) {
      if (!seen.has(dependency.toLowerCase())) throw invalid(`request "${id}" depends on "${dependency}", which is not an earlier request`);
    }
    seen.add(id.toLowerCase());
    ids.push(id);
    items.push({ method: item.method, path: pathOnly(item.url) });
    const headers: Record<string, string> = { ...item.headers };
    const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    if (item.body !== undefined && !hasContentType) headers['Content-Type'] = 'application/json';
    payload.push({
      id,
      method: item.method,
      url: item.url,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(item.body === undefined ? {} : { body: item.body }),
      ...(item.dependsOn === undefined ? {} : { dependsOn: item.dependsOn }),
    });
    secrets.push(...passwordsIn(item.body));
  });
  return { payload: { requests: payload }, ids, items, secrets };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function lowerCaseHeaders(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [name, text] of Object.entries(value)) if (typeof text === 'string' || typeof text === 'number') out[name.toLowerCase()] = String(text);
  return out;
}

/** An HTTP status: a whole number from 100 to 599, as a JSON number (Graph sends numbers). */
const isHttpStatus = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599;

/**
 * The answers in request order, matched by id: Graph may answer in any order (reference §3.4). A missing,
 * repeated or unknown id, an entry without one, or a status that is not an HTTP status means the answer
 * cannot be trusted as a whole, so it is an error rather than a guess.
 */
export function readBatchAnswer(
  body: unknown,
  prepared: PreparedBatch,
  context: { secrets: readonly string[]; now: number; report: (info: ThrottleInfo | undefined) => void },
): BatchItemResult[] {
  const responses = isRecord(body) && Array.isArray(body.responses) ? (body.responses as unknown[]) : undefined;
  if (responses === undefined) throw new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', 'Graph POST /$batch answered without a responses array', { method: 'POST', path: '/$batch' });
  const malformed = (what: string): GraphError => new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', `Graph POST /$batch answered ${what}`, { method: 'POST', path: '/$batch' });
  const requested = new Set(prepared.ids.map((id) => id.toLowerCase()));
  const byId = new Map<string, Record<string, unknown>>();
  for (const response of responses) {
    if (!isRecord(response) || (typeof response.id !== 'string' && typeof response.id !== 'number')) throw malformed('a response without an id');
    const key = String(response.id).toLowerCase();
    // Ids are the client's own: quoting one is safe, but an unknown one is service text, so it is not quoted.
    if (!requested.has(key)) throw malformed('a response for an id it was not sent');
    if (byId.has(key)) throw malformed(`two responses for request "${String(response.id)}"`);
    byId.set(key, response);
  }
  const secrets = [...context.secrets, ...prepared.secrets];
  return prepared.ids.map((id, index) => {
    const response = byId.get(id.toLowerCase());
    if (response === undefined || !isHttpStatus(response.status)) throw malformed(`without a usable response for request "${id}"`);
    const status = response.status;
    const headers = lowerCaseHeaders(response.headers);
    const header = (name: string): string | undefined => headers[name];
    const retryAfterSeconds = retryAfterSecondsOf(headers['retry-after'], context.now);
    const item = prepared.items[index] ?? { method: 'POST', path: '/$batch' };
    context.report(
      readThrottleInfo(header, { status, method: item.method, path: item.path, batchItemId: id, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) }),
    );
    const result: BatchItemResult = { id, status, headers, body: response.body, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
    if (status >= 400) {
      const code = status === 401 ? 'ERR_LEGACY_IDP_GRAPH_AUTH' : status === 429 || status >= 500 ? 'ERR_LEGACY_IDP_GRAPH_UNAVAILABLE' : 'ERR_LEGACY_IDP_GRAPH_ERROR';
      result.error = errorFromAnswer(code, status, response.body, header, { method: item.method, path: item.path, secrets }, context.now);
    }
    return result;
  });
}
