/**
 * Each preset against a file in its product's export shape, with hashes in the product's format: Auth0
 * bcrypt (bcryptjs), Firebase's modified scrypt (the published firebase/scrypt and ory/kratos vectors, with
 * their projects' hash parameters), and the B2C sample's clear-text passwords.
 */
import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../../src/core/contracts.js';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { fileUserStore, type FileUserStore } from '../../../src/stores/file/index.js';
import { exportFolder } from './file-fixture.js';

const registry = createHashRegistry({ workers: false });

afterAll(async () => {
  await registry.close();
});

const { write } = exportFolder('legacy-idp-file-presets-');

async function collect(store: FileUserStore): Promise<Profile[]> {
  const out: Profile[] = [];
  for await (const profile of store.list()) out.push(profile);
  return out;
}

describe('auth0 preset', () => {
  const passwords = { alice: 'Wonderland-2024', bob: 'Builder-2024!', dave: 'Disabled-2024', erin: 'Erin-2024', frank: 'Frank-2024' };
  const hash = (password: string): string => bcrypt.hashSync(password, 5);
  let path: string;

  beforeAll(async () => {
    const lines = [
      // The password-hash export support hands over: _id as extended JSON, no user_id.
      {
        _id: { $oid: '5dea9f9c82dd7c0e76e4ec93' },
        email_verified: true,
        email: 'Alice@Example.org',
        passwordHash: hash(passwords.alice),
        password_set_date: { $date: '2024-03-01T10:00:00.000Z' },
        tenant: 'example',
        connection: 'Username-Password-Authentication',
        _tmp_is_unique: true,
      },
      // A user created with a custom id: alt_id names it; _id as a plain string.
      { _id: '60425dc43519d90068f82973', alt_id: 'euclid', email: 'erin@example.org', email_verified: false, passwordHash: hash(passwords.erin), connection: 'Username-Password-Authentication' },
      // The email only inside `identifiers`, as some users of the hash export have it.
      { _id: { $oid: '60425dc43519d90068f82974' }, identifiers: [{ type: 'email', value: 'frank@example.org', verified: true }], passwordHash: hash(passwords.frank) },
      // The user export job's fields, merged with the hash by the operator; a username to sign in with.
      { user_id: 'auth0|65f0c0ffee', email: 'bob@example.org', email_verified: true, username: 'bob', name: 'Bob Builder', given_name: 'Bob', family_name: 'Builder', blocked: false, passwordHash: hash(passwords.bob) },
      { user_id: 'auth0|65f0dead', email: 'dave@example.org', name: 'Dave', blocked: true, passwordHash: hash(passwords.dave) },
      // A social user from the export job: no password here.
      { user_id: 'google-oauth2|1122334455', email: 'gail@example.org', name: 'Gail', email_verified: true },
    ];
    path = await write('auth0-export.json', `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
  });

  const create = (): Promise<FileUserStore> => fileUserStore({ path, preset: 'auth0', registry });

  it('reads the NDJSON export even from a .json file name, with Auth0 user ids', async () => {
    const store = await create();
    try {
      expect(store.name).toBe('file:auth0');
      expect(store.stats).toMatchObject({ records: 6, users: 6, skippedRows: 0 });
      expect((await collect(store)).map((p) => [p.subjectId, p.username])).toEqual([
        ['auth0|5dea9f9c82dd7c0e76e4ec93', 'alice@example.org'],
        ['auth0|euclid', 'erin@example.org'],
        ['auth0|60425dc43519d90068f82974', 'frank@example.org'],
        ['auth0|65f0c0ffee', 'bob'],
        ['auth0|65f0dead', 'dave@example.org'],
        ['google-oauth2|1122334455', 'gail@example.org'],
      ]);
    } finally {
      await store.close();
    }
  });

  it('verifies bcrypt passwords by email, or by username when there is one', async () => {
    const store = await create();
    try {
      expect(await store.verify({ username: 'ALICE@example.org', password: passwords.alice })).toMatchObject({
        status: 'valid',
        subjectId: 'auth0|5dea9f9c82dd7c0e76e4ec93',
        scheme: 'bcrypt',
      });
      expect(await store.verify({ username: 'alice@example.org', password: passwords.bob })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect(await store.verify({ username: 'bob', password: passwords.bob })).toMatchObject({ status: 'valid', subjectId: 'auth0|65f0c0ffee' });
      expect(await store.verify({ username: 'bob@example.org', password: passwords.bob })).toMatchObject({ status: 'valid', subjectId: 'auth0|65f0c0ffee' });
      expect(await store.verify({ username: 'erin@example.org', password: passwords.erin })).toMatchObject({ status: 'valid', subjectId: 'auth0|euclid' });
      expect(await store.verify({ username: 'frank@example.org', password: passwords.frank })).toMatchObject({ status: 'valid' });
      expect(await store.verify({ username: 'gail@example.org', password: 'anything' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect(await store.verify({ username: 'nobody@example.org', password: 'x' })).toEqual({ status: 'unknown_user' });
    } finally {
      await store.close();
    }
  });

  it('answers a blocked user as disabled, after the right password only', async () => {
    const store = await create();
    try {
      expect(await store.verify({ username: 'dave@example.org', password: passwords.dave })).toMatchObject({ status: 'disabled', detail: 'blocked in Auth0' });
      expect(await store.verify({ username: 'dave@example.org', password: 'wrong' })).toMatchObject({ status: 'invalid' });
      expect((await store.get('dave@example.org'))?.enabled).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('gives profile claims by username and by email', async () => {
    const store = await create();
    try {
      const bob = await store.get('bob');
      expect(bob).toMatchObject({
        subjectId: 'auth0|65f0c0ffee',
        username: 'bob',
        email: 'bob@example.org',
        displayName: 'Bob Builder',
        givenName: 'Bob',
        surname: 'Builder',
        enabled: true,
        attributes: { emailVerified: true },
        credential: { scheme: 'bcrypt' },
      });
      expect((await store.get('Bob@Example.org'))?.subjectId).toBe('auth0|65f0c0ffee');
      expect(await store.get('alice@example.org')).toMatchObject({ email: 'Alice@Example.org', attributes: { emailVerified: true, connection: 'Username-Password-Authentication' } });
    } finally {
      await store.close();
    }
  });
});

interface FirebaseVector {
  password: string;
  hash: string;
  context: { salt: string; signerKey: string; saltSeparator: string; rounds: number; memCost: number };
  expected: boolean;
  source: string;
}

/** The published vectors, one project (signer key) each: firebase/scrypt's README and ory/kratos's test. */
const firebaseVectors = readFileSync(new URL('../../vectors/firebase_scrypt.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as FirebaseVector)
  .filter((vector) => vector.expected);

describe('firebase preset', () => {
  const readme = firebaseVectors.find((vector) => vector.source.startsWith('firebase/scrypt'));
  const kratos = firebaseVectors.find((vector) => vector.source.startsWith('ory/kratos'));
  if (!readme || !kratos) throw new Error('test/vectors/firebase_scrypt.jsonl lost its published vectors');
  const project = (vector: FirebaseVector): { name: 'firebase'; signerKey: string; saltSeparator: string; rounds: number; memCost: number } => ({
    name: 'firebase',
    signerKey: vector.context.signerKey,
    saltSeparator: vector.context.saltSeparator,
    rounds: vector.context.rounds,
    memCost: vector.context.memCost,
  });
  const webSafe = (text: string): string => text.replace(/\+/gu, '-').replace(/\//gu, '_');
  let path: string;

  beforeAll(async () => {
    // The shape `firebase auth:export users.json --format=json` writes: {"users": [...]}, two-space indent.
    const users = [
      {
        localId: 'V8VnmwHqtZTa1hUiuYbtFXtHxBd2',
        email: 'user1@example.com',
        emailVerified: true,
        passwordHash: readme.hash,
        salt: readme.context.salt,
        displayName: 'User One',
        lastSignedInAt: '1486324027000',
        createdAt: '1486324000000',
        providerUserInfo: [],
      },
      // The same credential, disabled in the console.
      { localId: 'dIsAbLeD0000000000000000000', email: 'dave@example.com', emailVerified: false, passwordHash: readme.hash, salt: readme.context.salt, disabled: true, createdAt: '1486324000001' },
      // Web-safe base64, as the REST API (not the CLI) returns it.
      { localId: 'WeBsAfE00000000000000000000', email: 'websafe@example.com', passwordHash: webSafe(readme.hash), salt: webSafe(readme.context.salt), createdAt: '1486324000002' },
      // Phone sign-in: no email, so no username: skipped and counted.
      { localId: 'PhOnE000000000000000000000', phoneNumber: '+15555550100', createdAt: '1486324000003' },
      // Google sign-in: an email, no password.
      {
        localId: 'GoOgLe00000000000000000000',
        email: 'gina@example.com',
        emailVerified: true,
        displayName: 'Gina',
        providerUserInfo: [{ providerId: 'google.com', rawId: '1234567890', email: 'gina@example.com', displayName: 'Gina' }],
        createdAt: '1486324000004',
      },
    ];
    path = await write('firebase-users.json', JSON.stringify({ users }, null, 2));
  });

  const create = (): Promise<FileUserStore> => fileUserStore({ path, preset: project(readme), registry });

  it('verifies the published firebase/scrypt vector with its project parameters, by email', async () => {
    const store = await create();
    try {
      expect(store.stats).toMatchObject({ records: 5, users: 4, skippedRows: 1 });
      expect(await store.verify({ username: 'User1@Example.com', password: readme.password })).toEqual({
        status: 'valid',
        subjectId: 'V8VnmwHqtZTa1hUiuYbtFXtHxBd2',
        scheme: 'firebase_scrypt',
        needsUpgrade: true,
      });
      expect(await store.verify({ username: 'user1@example.com', password: `${readme.password}!x` })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect(await store.verify({ username: 'websafe@example.com', password: readme.password })).toMatchObject({ status: 'valid' });
      expect(await store.verify({ username: 'gina@example.com', password: readme.password })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
    } finally {
      await store.close();
    }
  });

  it('fails the vector under another project signer key, and passes the kratos vector under its own', async () => {
    const kratosPath = await write(
      'firebase-kratos.json',
      JSON.stringify({ users: [{ localId: 'k1', email: 'k@example.com', passwordHash: kratos.hash, salt: kratos.context.salt }] }),
    );
    const own = await fileUserStore({ path: kratosPath, preset: project(kratos), registry });
    const other = await fileUserStore({ path: kratosPath, preset: project(readme), registry });
    try {
      expect(await own.verify({ username: 'k@example.com', password: kratos.password })).toMatchObject({ status: 'valid', subjectId: 'k1' });
      expect(await other.verify({ username: 'k@example.com', password: kratos.password })).toMatchObject({ status: 'invalid' });
    } finally {
      await own.close();
      await other.close();
    }
  });

  it('answers a disabled user as disabled after the right password', async () => {
    const store = await create();
    try {
      expect(await store.verify({ username: 'dave@example.com', password: readme.password })).toMatchObject({ status: 'disabled', detail: 'disabled in Firebase' });
      expect(await store.verify({ username: 'dave@example.com', password: 'nope' })).toMatchObject({ status: 'invalid' });
    } finally {
      await store.close();
    }
  });

  it('gives profile claims and the credential with its salt and project context, and lists every user with an email', async () => {
    const store = await create();
    try {
      const user = await store.get('user1@example.com');
      expect(user).toMatchObject({
        subjectId: 'V8VnmwHqtZTa1hUiuYbtFXtHxBd2',
        username: 'user1@example.com',
        email: 'user1@example.com',
        displayName: 'User One',
        enabled: true,
        attributes: { emailVerified: true, createdAt: '1486324000000', lastSignedInAt: '1486324027000' },
        credential: { scheme: 'firebase_scrypt', hash: readme.hash, context: { salt: readme.context.salt, rounds: 8, memCost: 14, saltSeparator: 'Bw==' } },
      });
      expect(user?.credential?.recoverable).toBeUndefined();
      expect((await collect(store)).map((p) => p.email)).toEqual(['user1@example.com', 'dave@example.com', 'websafe@example.com', 'gina@example.com']);
    } finally {
      await store.close();
    }
  });

  it('needs the signer key, and does not echo a bad one', async () => {
    await expect(fileUserStore({ path, preset: 'firebase', registry })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'preset' });
    const error = await fileUserStore({ path, preset: { name: 'firebase', signerKey: 'SECRET not base64!' }, registry }).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    expect((error as Error).message).not.toContain('SECRET');
  });
});

describe('ms-sample preset', () => {
  let emailFile: string;
  let userNameFile: string;

  beforeAll(async () => {
    // The shape of the sample's UsersData.json, comments included (the sample reads it with Newtonsoft.Json).
    emailFile = await write(
      'UsersData.json',
      [
        '{',
        '  "userType": "emailAddress",',
        '  "Users": [',
        '    {',
        '      // Local account only',
        '      "signInName": "Alice@Example.org",',
        '      "displayName": "Alice Liddell",',
        '      "firstName": "Alice",',
        '      "lastName": "Liddell",',
        '      "password": "Wonderland-2024"',
        '    },',
        '    {',
        '      // Social account only: no sign-in name, no password',
        '      "issuer": "Facebook.com",',
        '      "issuerUserId": "1234567890",',
        '      "email": "sam@example.org",',
        '      "displayName": "Sam Social"',
        '    },',
        '    {',
        '      // Local & social',
        '      "signInName": "zoe@example.org",',
        '      "issuer": "Facebook.com",',
        '      "issuerUserId": "0987654321",',
        '      "displayName": "Zoë",',
        '      "password": "Crème-brûlée-ß-🔑"',
        '    }',
        '  ]',
        '}',
      ].join('\r\n'),
    );
    userNameFile = await write(
      'UsersDataUsername.json',
      JSON.stringify({ userType: 'userName', Users: [{ signInName: 'Bob1', email: 'bob@example.org', displayName: 'Bob Builder', firstName: 'Bob', lastName: 'Builder', password: 'Builder-2024!' }] }, null, 2),
    );
  });

  it('verifies clear-text passwords by sign-in name, and marks them recoverable for bulk migration', async () => {
    const store = await fileUserStore({ path: emailFile, preset: 'ms-sample', registry });
    try {
      expect(store.stats).toMatchObject({ records: 3, users: 2, skippedRows: 1 });
      expect(await store.verify({ username: 'alice@example.org', password: 'Wonderland-2024' })).toMatchObject({ status: 'valid', subjectId: 'Alice@Example.org', scheme: 'plaintext' });
      expect(await store.verify({ username: 'alice@example.org', password: 'wonderland-2024' })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect(await store.verify({ username: 'ZOE@example.org', password: 'Crème-brûlée-ß-🔑' })).toMatchObject({ status: 'valid', subjectId: 'zoe@example.org' });
      expect(await store.verify({ username: 'sam@example.org', password: 'x' })).toEqual({ status: 'unknown_user' });
      const alice = await store.get('Alice@Example.org');
      expect(alice).toMatchObject({
        username: 'alice@example.org',
        email: 'Alice@Example.org',
        displayName: 'Alice Liddell',
        givenName: 'Alice',
        surname: 'Liddell',
        credential: { scheme: 'plaintext', hash: 'Wonderland-2024', recoverable: true },
      });
      expect(await store.get('zoe@example.org')).toMatchObject({ attributes: { issuer: 'Facebook.com', issuerUserId: '0987654321' } });
      expect((await collect(store)).map((p) => p.username)).toEqual(['alice@example.org', 'zoe@example.org']);
    } finally {
      await store.close();
    }
  });

  it('finds userName-type users by sign-in name and by email', async () => {
    const store = await fileUserStore({ path: userNameFile, preset: 'ms-sample', registry });
    try {
      expect(await store.verify({ username: 'bob1', password: 'Builder-2024!' })).toMatchObject({ status: 'valid', subjectId: 'Bob1' });
      expect(await store.verify({ username: 'bob@example.org', password: 'Builder-2024!' })).toMatchObject({ status: 'valid', subjectId: 'Bob1' });
      expect(await store.get('bob@example.org')).toMatchObject({ username: 'bob1', email: 'bob@example.org', givenName: 'Bob', surname: 'Builder' });
      expect((await collect(store)).length).toBe(1);
    } finally {
      await store.close();
    }
  });
});
