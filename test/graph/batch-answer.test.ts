/**
 * A $batch answer is matched to the requests by id. One that cannot be matched one to one (a repeated id, an
 * id that was not sent, an entry without an id) or whose status is not an HTTP status cannot be trusted as a
 * whole: an error, not a guess. And an item cannot depend on itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { isGraphError, type BatchRequest } from '../../src/graph/index.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { emulatorClient } from './helpers.js';

let emulator: GraphEmulator;
beforeAll(async () => {
  emulator = await startGraphEmulator({ batchResponseOrder: 'request' });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(() => {
  emulator.setFaults({});
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
}

const reads: BatchRequest[] = [
  { id: 'a', method: 'GET', url: '/users/missing-a' },
  { id: 'b', method: 'GET', url: '/users/missing-b' },
];

describe('$batch answers', () => {
  it('refuses an item that depends on itself, before sending', async () => {
    const { client } = emulatorClient(emulator);
    const from = emulator.requests.length;
    const error = await rejection(client.batch([{ id: 'a', method: 'GET', url: '/users/x', dependsOn: ['a'] }]));
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_INVALID_INPUT')).toBe(true);
    expect((error as Error).message).toContain('depends on "a"');
    const caseFolded = await rejection(client.batch([{ id: 'a', method: 'GET', url: '/users/x', dependsOn: ['A'] }]));
    expect(isLegacyIdpError(caseFolded, 'ERR_LEGACY_IDP_INVALID_INPUT')).toBe(true);
    expect(emulator.requests.slice(from)).toEqual([]);
  });

  it('reads a well-formed answer (the control case)', async () => {
    const { client } = emulatorClient(emulator);
    expect((await client.batch(reads)).map((result) => [result.id, result.status])).toEqual([
      ['a', 404],
      ['b', 404],
    ]);
  });

  const malformed: [string, (responses: Record<string, unknown>[]) => unknown[], string][] = [
    ['a repeated id (the last would win)', (responses) => [...responses, { ...responses[0], status: 201 }], 'two responses for request "a"'],
    ['a repeated id differing in case', (responses) => [...responses, { ...responses[1], id: 'B' }], 'two responses'],
    ['an id that was not sent', (responses) => [...responses, { id: 'zz', status: 500 }], 'an id it was not sent'],
    ['an entry without an id', (responses) => [...responses, { status: 200 }], 'without an id'],
    ['an entry that is not an object', (responses) => [...responses, 'x'], 'without an id'],
    ['status -1', (responses) => responses.map((response) => ({ ...response, status: -1 })), 'usable response'],
    ['status 99999', (responses) => responses.map((response) => ({ ...response, status: 99_999 })), 'usable response'],
    ['status 250.5', (responses) => responses.map((response) => ({ ...response, status: 250.5 })), 'usable response'],
    ['status as a string', (responses) => responses.map((response) => ({ ...response, status: '201' })), 'usable response'],
  ];

  it.each(malformed)('fails on %s', async (_what, rewrite, message) => {
    emulator.setFaults({ batchResponses: rewrite });
    const { client, waits } = emulatorClient(emulator);
    const error = await rejection(client.batch(reads));
    expect(isGraphError(error) && error.code).toBe('ERR_LEGACY_IDP_GRAPH_ERROR');
    expect((error as Error).message).toContain(message);
    expect(waits).toEqual([]);
  });
});
