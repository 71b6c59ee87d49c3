/**
 * The auth0 preset over Auth0's two exports joined into one file (`cat users.ndjson hashes.ndjson`): each user
 * is in both, under one subject id (`user_id` in the job export, `auth0|` + `_id` in the hash export). They used
 * to load as two users sharing a username and an email, so every sign-in was an unknown user ("2 users match").
 * Now they are merged: the hash from the hash export, the profile and `blocked` from the job export, in either
 * order; records that disagree refuse the file. And `emailVerified` is read from `identifiers` when the email is
 * only there.
 */
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../../src/core/contracts.js';
import { isLegacyIdpError, type LegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { fileUserStore, type FileUserStore } from '../../../src/stores/file/index.js';
import { exportFolder } from './file-fixture.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const { write } = exportFolder('legacy-idp-file-auth0-merge-');
const ndjson = (records: readonly object[]): string => `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;
const hash = (password: string): string => bcrypt.hashSync(password, 4);

const annHash = hash('pw-ann');
const benHash = hash('pw-ben');
const job = [
  { user_id: 'auth0|5dea9f9c82dd7c0e76e4ec93', email: 'ann@example.com', email_verified: true, name: 'Ann Arbor', given_name: 'Ann', family_name: 'Arbor', blocked: false },
  { user_id: 'auth0|5dea9f9c82dd7c0e76e4ec94', email: 'ben@example.com', email_verified: true, name: 'Ben', blocked: true },
  // A social user: in the job export only.
  { user_id: 'google-oauth2|1122334455', email: 'gail@example.com', email_verified: true, name: 'Gail' },
];
const hashes = [
  { _id: { $oid: '5dea9f9c82dd7c0e76e4ec93' }, email: 'ann@example.com', email_verified: true, passwordHash: annHash, connection: 'Username-Password-Authentication' },
  // The email only in `identifiers`.
  { _id: { $oid: '5dea9f9c82dd7c0e76e4ec94' }, passwordHash: benHash, connection: 'Username-Password-Authentication', identifiers: [{ type: 'email', value: 'ben@example.com', verified: true }] },
];

async function collect(store: FileUserStore): Promise<Profile[]> {
  const out: Profile[] = [];
  for await (const profile of store.list()) out.push(profile);
  return out;
}

async function refusal(path: string): Promise<LegacyIdpError> {
  try {
    const store = await fileUserStore({ path, preset: 'auth0', registry });
    await store.close();
  } catch (error) {
    expect(isLegacyIdpError(error)).toBe(true);
    return error as LegacyIdpError;
  }
  throw new Error(`expected ${path} to be refused`);
}

describe('auth0 preset: the job export and the hash export in one file', () => {
  for (const [order, records] of [
    ['job export first', [...job, ...hashes]],
    ['hash export first', [...hashes, ...job]],
  ] as const) {
    it(`merges each user's two records (${order}): the hash, the profile and blocked`, async () => {
      const store = await fileUserStore({ path: await write(`merged-${order.split(' ')[0] ?? ''}.ndjson`, ndjson(records)), preset: 'auth0', registry });
      try {
        expect(store.stats).toMatchObject({ records: 5, users: 3, mergedRecords: 2, duplicateSubjectIds: 0, usernameCollisions: 0, ambiguousEmails: 0 });
        // Before: unknown_user, "2 users match this login".
        expect(await store.verify({ username: 'ann@example.com', password: 'pw-ann' })).toMatchObject({ status: 'valid', subjectId: 'auth0|5dea9f9c82dd7c0e76e4ec93' });
        expect(await store.verify({ username: 'ann@example.com', password: 'pw-ben' })).toMatchObject({ status: 'invalid' });
        // `blocked` from the job export, the hash from the hash export.
        expect(await store.verify({ username: 'ben@example.com', password: 'pw-ben' })).toMatchObject({ status: 'disabled', detail: 'blocked in Auth0' });
        const byId = new Map((await collect(store)).map((profile) => [profile.subjectId, profile]));
        expect(byId.size).toBe(3);
        expect(byId.get('auth0|5dea9f9c82dd7c0e76e4ec93')).toMatchObject({
          username: 'ann@example.com',
          displayName: 'Ann Arbor',
          givenName: 'Ann',
          surname: 'Arbor',
          enabled: true,
          attributes: { emailVerified: true, connection: 'Username-Password-Authentication' },
          credential: { scheme: 'bcrypt', hash: annHash },
        });
        expect(byId.get('auth0|5dea9f9c82dd7c0e76e4ec94')).toMatchObject({ enabled: false, displayName: 'Ben', credential: { hash: benHash } });
        expect(byId.get('google-oauth2|1122334455')?.credential).toBeUndefined();
      } finally {
        await store.close();
      }
    });
  }

  it('refuses two records of one user that disagree, naming both lines and the field, never the values', async () => {
    const other = { ...hashes[0], email_verified: false };
    const error = await refusal(await write('conflict.ndjson', ndjson([...job, other])));
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_FILE');
    expect(error.path).toBe('mapping.attributes.emailVerified');
    expect(error.message).toMatch(/^conflict\.ndjson: JSONL line 4 \(record 4\) has the subject id of JSONL line 1 \(record 1\) and another value of "\$email_verified"/u);
    expect(error.message).not.toContain('ann@example.com');
    expect(error.message).not.toContain('5dea9f9c82dd7c0e76e4ec93');

    // The hash export first, a blank line, then the job export: lines, not records, are named where they differ.
    const otherEmail = { ...hashes[1], identifiers: [{ type: 'email', value: 'benjamin@example.com', verified: true }] };
    const email = await refusal(await write('conflict-email.ndjson', `${JSON.stringify(otherEmail)}\n\n${ndjson(job)}`));
    // The sign-in name is the email here, the first field that differs.
    expect(email.message).toMatch(/JSONL line 4 \(record 3\) has the subject id of JSONL line 1 \(record 1\) and another value of "\$login" \(mapping\.username\)/u);
    expect(email.message).not.toContain('example.com');
  });

  it('merges an email that differs only in letter case, as the index reads it', async () => {
    const store = await fileUserStore({ path: await write('case.ndjson', ndjson([job[0] as object, { ...hashes[0], email: 'Ann@Example.com' }])), preset: 'auth0', registry });
    try {
      expect(store.stats).toMatchObject({ users: 1, mergedRecords: 1 });
      expect(await store.verify({ username: 'ANN@example.com', password: 'pw-ann' })).toMatchObject({ status: 'valid' });
    } finally {
      await store.close();
    }
  });
});

describe('auth0 preset: emailVerified', () => {
  it('is read from identifiers when the email is only there', async () => {
    const store = await fileUserStore({ path: await write('identifiers.ndjson', ndjson([hashes[1] as object])), preset: 'auth0', registry });
    try {
      // Before: attributes held only `connection`.
      expect((await store.get('ben@example.com'))?.attributes).toEqual({ emailVerified: true, connection: 'Username-Password-Authentication' });
    } finally {
      await store.close();
    }
  });
});
