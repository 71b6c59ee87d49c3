import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import {
  buildLocalAccountUser,
  generateCompliantPassword,
  isObjectConflict,
  maxBatchRequests,
  type BatchItemResult,
  type BatchRequest,
  type ThrottleInfo,
} from '../../src/graph/index.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { emulatorClient, fakeClock, uniqueEmail } from './helpers.js';

const clock = fakeClock();
let emulator: GraphEmulator;
beforeAll(async () => {
  // 12 writes per second: a batch of 20 creates gets 12 through and 8 throttled, each with its own Retry-After.
  emulator = await startGraphEmulator({ now: clock.now, writeQuota: { limit: 12, windowMs: 1_000 }, resourceUnitQuota: null });
});
afterAll(async () => {
  await emulator.close();
});

const createRequest = (id: string, email = uniqueEmail('batch')): BatchRequest => ({
  id,
  method: 'POST',
  url: '/users',
  body: buildLocalAccountUser({ tenant: emulator.tenantDomain, issuerAssignedId: email, password: generateCompliantPassword() }),
});

const sinceRequests = (from: number) => emulator.requests.slice(from);

describe('$batch', () => {
  it('returns each item of a partly throttled batch of 20 in request order, with its retryAfterSeconds', async () => {
    clock.advance(10_000); // a full bucket
    const infos: ThrottleInfo[] = [];
    const { client, waits } = emulatorClient(emulator, { onThrottleInfo: (info) => infos.push(info) }, clock);
    const requests = Array.from({ length: 20 }, (_, i) => createRequest(`create-${i}`));
    const from = emulator.requests.length;
    const results = await client.batch(requests);

    expect(results.map((result) => result.id)).toEqual(requests.map((request) => request.id));
    expect(results.map((result) => result.status)).toEqual([...Array<number>(12).fill(201), ...Array<number>(8).fill(429)]);
    for (const result of results.slice(12)) {
      // One write unit refills in 1/12 s: a fractional Retry-After, parsed to seconds.
      expect(result.retryAfterSeconds).toBe(0.084);
      expect(result.headers['retry-after']).toBe('0.084');
      expect(result.error?.code).toBe('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE');
      expect(result.error?.status).toBe(429);
      expect(result.error?.graphCode).toBe('TooManyRequests');
    }
    for (const result of results.slice(0, 12)) {
      expect(result.retryAfterSeconds).toBeUndefined();
      expect(result.error).toBeUndefined();
      expect((result.body as { id?: unknown }).id).toBeTypeOf('string');
    }
    // One POST /$batch, not retried by the client even though items were throttled.
    expect(sinceRequests(from).filter((entry) => entry.kind === 'graph')).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(infos.filter((info) => info.status === 429).map((info) => info.batchItemId)).toEqual(requests.slice(12).map((request) => request.id));
    expect(infos.some((info) => info.limitPercentage !== undefined && info.limitPercentage > 0.8)).toBe(true);

    // The caller retries the throttled items after their own Retry-After.
    const throttled = results.filter((result) => result.status === 429);
    clock.advance(Math.max(...throttled.map((result) => result.retryAfterSeconds ?? 0)) * 1000 * throttled.length);
    const retried = await client.batch(throttled.map((result) => requests.find((request) => request.id === result.id)!));
    expect(retried.map((result) => result.status)).toEqual(Array<number>(8).fill(201));
  });

  it('rejects more than 20 requests before sending anything', async () => {
    const { client } = emulatorClient(emulator, {}, clock);
    const before = emulator.summary();
    const requests = Array.from({ length: maxBatchRequests + 1 }, (_, i) => createRequest(String(i)));
    const error: unknown = await client.batch(requests).catch((reason: unknown) => reason);
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_INVALID_INPUT')).toBe(true);
    expect((error as Error).message).toMatch(/at most 20 requests per batch \(got 21\)/u);
    expect(emulator.summary()).toEqual(before);
  });

  it('rejects duplicate ids (case-insensitive) and bad urls before sending', async () => {
    const { client } = emulatorClient(emulator, {}, clock);
    const before = emulator.summary();
    await expect(client.batch([createRequest('a'), createRequest('A')])).rejects.toThrow(/duplicate id "A"/u);
    await expect(client.batch([{ method: 'GET', url: 'https://graph.microsoft.com/v1.0/users' }])).rejects.toThrow(/relative to the API version/u);
    await expect(client.batch([{ method: 'GET', url: '/users', dependsOn: ['later'] }])).rejects.toThrow(/not an earlier request/u);
    expect(await client.batch([])).toEqual([]);
    expect(emulator.summary()).toEqual(before);
  });

  it('gives each failed item its GraphError: ObjectConflict, and 424 behind a failed dependency', async () => {
    clock.advance(10_000);
    const { client } = emulatorClient(emulator, {}, clock);
    const email = uniqueEmail('dup');
    await client.createUser(buildLocalAccountUser({ tenant: emulator.tenantDomain, issuerAssignedId: email, password: generateCompliantPassword() }));
    const results = await client.batch([
      createRequest('1', email),
      { id: '2', method: 'PATCH', url: '/users/00000000-0000-0000-0000-000000000000', body: { surname: 'x' }, dependsOn: ['1'] },
      { method: 'GET', url: "/users?$filter=identities/any(c:c/issuerAssignedId eq 'nobody@example.com' and c/issuer eq 'x')" },
    ]);
    const [conflict, dependent, lookup] = results as [BatchItemResult, BatchItemResult, BatchItemResult];
    expect(conflict.status).toBe(400);
    expect(isObjectConflict(conflict.error)).toBe(true);
    expect(conflict.error?.requestPath).toBe('/users');
    expect(dependent.status).toBe(424);
    expect(lookup).toMatchObject({ id: '3', status: 200, body: { value: [] } });
  });

  it('answers 400 to a whole batch over 20 (the emulator, sent raw)', async () => {
    const { client } = emulatorClient(emulator, {}, clock);
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' }));
    const error: unknown = await client.request({ method: 'POST', path: '/$batch', body: { requests } }).catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_GRAPH_ERROR', status: 400 });
  });
});
