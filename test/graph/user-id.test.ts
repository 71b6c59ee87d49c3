/**
 * User ids go into the path: `/users/{id}`. encodeURIComponent leaves dots alone and URL parsing resolves
 * dot segments, so getUser('.') used to list users and getUser('..') to read the API root.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { emulatorClient } from './helpers.js';

let emulator: GraphEmulator;
beforeAll(async () => {
  emulator = await startGraphEmulator();
});
afterAll(async () => {
  await emulator.close();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
}

describe('user ids', () => {
  it.each(['', '.', '..'])('%j is refused as invalid input before any request', async (id) => {
    const { client } = emulatorClient(emulator);
    const from = emulator.requests.length;
    expect(isLegacyIdpError(await rejection(client.getUser(id)), 'ERR_LEGACY_IDP_INVALID_INPUT')).toBe(true);
    expect(isLegacyIdpError(await rejection(client.getUser(id, ['id'])), 'ERR_LEGACY_IDP_INVALID_INPUT')).toBe(true);
    expect(isLegacyIdpError(await rejection(client.updateUser(id, { displayName: 'x' })), 'ERR_LEGACY_IDP_INVALID_INPUT')).toBe(true);
    expect(emulator.requests.slice(from)).toEqual([]);
  });

  it.each(['...', '%2e', '%2E%2e', '../..', 'a.b'])('%j is sent as one encoded segment under /users', async (id) => {
    const { client } = emulatorClient(emulator);
    const from = emulator.requests.length;
    // The answer is the emulator's business (it decodes %2F before routing); the path sent is the point.
    await rejection(client.getUser(id));
    const sent = emulator.requests.slice(from).filter((entry) => entry.kind === 'graph');
    expect(sent.map((entry) => entry.path)).toEqual([`/v1.0/users/${encodeURIComponent(id)}`]);
  });
});
