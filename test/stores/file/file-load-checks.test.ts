/**
 * What the file store refuses at load because it would otherwise answer wrongly for every user: a mapped
 * column or field the file does not have (every right password a wrong one, or every user unknown), a file
 * whose records all lack an id or a username, 64-bit ids that JSON.parse rounds, and a CSV row with far more
 * fields than the header. Messages name fields and header names, never a record's values.
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/index.js';
import { isLegacyIdpError, type LegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { createLockoutPolicy } from '../../../src/lockout/index.js';
import { fileUserStore, readCsv, type FileStoreOptions, type FileUserStore } from '../../../src/stores/file/index.js';
import { exportFolder } from './file-fixture.js';

const registry = createHashRegistry({ workers: false });
const password = 'Right-Pass-2024';
const hash = bcrypt.hashSync(password, 4);
/** A value that stands for a row's content: no error message may quote it. */
const canary = 'CANARY-row-value';
const mapping = { subjectId: 'id', username: 'username', hash: 'hash' };

afterAll(async () => {
  await registry.close();
});

const { write, path: pathIn } = exportFolder('legacy-idp-file-checks-');

const jsonl = (records: object[]): string => `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;

async function refusal(options: FileStoreOptions): Promise<LegacyIdpError> {
  let store: FileUserStore | undefined;
  try {
    store = await fileUserStore({ registry, ...options });
  } catch (error) {
    expect(isLegacyIdpError(error), String(error)).toBe(true);
    const typed = error as LegacyIdpError;
    expect(typed.message).not.toContain('CANARY');
    expect(typed.message).not.toContain(hash);
    return typed;
  }
  await store.close();
  throw new Error(`expected ${options.path} to be refused; it loaded ${JSON.stringify(store.stats)}`);
}

describe('file store: mapped columns the CSV header lacks', () => {
  it('refuses a header without the mapped hash column, naming it and listing the header, before a login could be a wrong password', async () => {
    const path = await write('hashcol.csv', `id,username,password_hash\r\n1,alice,${hash}\r\n2,bob,${hash}\r\n`);
    const error = await refusal({ path, mapping });
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'mapping.hash' });
    expect(error.message).toBe('hashcol.csv: the CSV header has no column "hash" (mapping.hash); its columns are "id", "username", "password_hash"');
    // Mapped right, the same file signs alice in, and the lockout never sees a failure.
    const store = await fileUserStore({ path, registry, mapping: { ...mapping, hash: 'password_hash' } });
    try {
      const auth = createAuthenticator({ verifier: store, profiles: store, lockout: createLockoutPolicy({}) });
      expect((await auth.authenticate({ username: 'alice', password, clientIp: '10.0.0.1' })).outcome).toMatchObject({ status: 'valid', subjectId: '1' });
    } finally {
      await store.close();
    }
  });

  it('suggests a header name that differs only in case or spaces', async () => {
    const spaces = await refusal({ path: await write('spaces.csv', `id, username, hash\n1, alice, ${hash}\n`), mapping });
    expect(spaces).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'mapping.username' });
    expect(spaces.message).toContain('"username" (mapping.username; did you mean " username"?), "hash" (mapping.hash; did you mean " hash"?)');
    const cased = await refusal({ path: await write('case.csv', `ID,Username,Hash\n1,alice,${hash}\n`), mapping });
    expect(cased).toMatchObject({ path: 'mapping.subjectId' });
    expect(cased.message).toContain('"id" (mapping.subjectId; did you mean "ID"?), "username" (mapping.username; did you mean "Username"?)');
    expect(cased.message).toContain('its columns are "ID", "Username", "Hash"');
  });

  it('names every configured column it lacks, optional ones too, with each option that maps it', async () => {
    const path = await write('optional.csv', `id,username,hash\n1,alice,${hash}\n`);
    const error = await refusal({ path, mapping: { ...mapping, email: 'mail', attributes: { dept: 'department' }, states: [{ field: 'blocked', when: 'true', status: 'disabled' }] } });
    expect(error).toMatchObject({ path: 'mapping.email' });
    expect(error.message).toContain('no column "mail" (mapping.email), "department" (mapping.attributes.dept), "blocked" (mapping.states[0].field);');
    const shared = await refusal({ path, mapping: { subjectId: 'login', username: 'login', hash: 'hash' } });
    expect(shared.message).toContain('"login" (mapping.subjectId, mapping.username)');
  });

  it('tells a file read with the wrong delimiter, and a file without a header row, without quoting its first row', async () => {
    const semicolons = await refusal({ path: await write('semi.csv', `id;username;hash\n1;alice;${hash}\n`), mapping });
    expect(semicolons.message).toMatch(/its one column looks separated by ";", not ","; set csv\.delimiter$/u);
    const headerless = await refusal({ path: await write('headerless.csv', `1,${canary},${hash}\n2,bob,${hash}\n`), mapping });
    expect(headerless).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'mapping.subjectId' });
    expect(headerless.message).toMatch(/none of its 3 columns is a mapped field: if the file has no header row, set csv\.header/u);
    // csv.header names the columns of such a file; they are checked the same way.
    const given = await refusal({ path: await write('given.csv', `1,alice,${hash}\n`), mapping, csv: { header: ['id', 'user', 'hash'] } });
    expect(given.message).toContain('no column "username" (mapping.username); its columns are "id", "user", "hash"');
  });

  it('still loads a header-only file, a header with extra or empty-named columns, and blank optional cells', async () => {
    const headerOnly = await fileUserStore({ path: await write('header-only.csv', 'id,username,hash\n'), registry, mapping });
    expect(headerOnly.stats).toMatchObject({ records: 0, users: 0 });
    await headerOnly.close();
    const path = await write('extra.csv', `id,username,hash,,email,notes\n1,alice,${hash},x,,n\n2,bob,,y,bob@example.org,n\n`);
    const store = await fileUserStore({ path, registry, mapping: { ...mapping, email: 'email' } });
    try {
      expect(store.stats).toMatchObject({ records: 2, users: 2 });
      expect(await store.verify({ username: 'alice', password })).toMatchObject({ status: 'valid' });
    } finally {
      await store.close();
    }
  });
});

describe('file store: mapped fields no JSON record has', () => {
  it('refuses JSONL whose records never have the mapped hash field, listing the first record’s fields', async () => {
    const path = await write('hashcol.jsonl', jsonl([{ id: 1, username: 'alice', passwordHash: hash }, { id: 2, username: 'bob', passwordHash: hash }]));
    const error = await refusal({ path, mapping });
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'mapping.hash' });
    expect(error.message).toBe('hashcol.jsonl: no record (of 2) has the field "hash" (mapping.hash); the first record\'s fields are "id", "username", "passwordHash"; an export without passwords (profiles only) takes mapping.hash: false');
  });

  it('suggests a field named like the mapped one in case or spaces, in a JSON array and nested paths alike', async () => {
    const cased = await refusal({ path: await write('cased.json', JSON.stringify([{ id: 1, Username: 'alice', hash }])), mapping });
    expect(cased).toMatchObject({ path: 'mapping.username' });
    expect(cased.message).toContain('"username" (mapping.username; did you mean "Username"?)');
    const nested = await refusal({ path: await write('nested.jsonl', jsonl([{ id: 1, login: { name: 'alice' }, hash }])), mapping: { ...mapping, username: 'login.username' } });
    expect(nested.message).toContain('no record (of 1) has the field "login.username" (mapping.username)');
  });

  it('loads fields that only some records have, and optional fields no record has', async () => {
    const path = await write(
      'sparse.jsonl',
      jsonl([
        // A social user first: no hash, no email; the mapped fields show up further down.
        { id: 1, username: 'sam' },
        { id: 2, username: 'alice', hash, email: 'alice@example.org' },
      ]),
    );
    const store = await fileUserStore({ path, registry, matchEmail: true, mapping: { ...mapping, email: 'email', displayName: 'never.there', states: [{ field: 'blocked', when: 'true', status: 'disabled' }] } });
    try {
      expect(store.stats).toMatchObject({ records: 2, users: 2 });
      expect(await store.verify({ username: 'alice@example.org', password })).toMatchObject({ status: 'valid', subjectId: '2' });
    } finally {
      await store.close();
    }
    const empty = await fileUserStore({ path: await write('empty.json', '[]'), registry, mapping });
    expect(empty.stats).toMatchObject({ records: 0, users: 0 });
    await empty.close();
  });

  it('checks a preset’s mapping too: an Auth0 user export job without the hash export is refused', async () => {
    const path = await write('auth0-users.json', jsonl([{ user_id: 'auth0|1', email: 'a@example.org', name: 'A' }, { user_id: 'auth0|2', email: 'b@example.org' }]));
    const error = await refusal({ path, preset: 'auth0' });
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'mapping.hash' });
    expect(error.message).toContain('no record (of 2) has the field "passwordHash" (mapping.hash)');
  });

  it('refuses a file whose every record lacks a subject id or a username', async () => {
    const path = await write('nobody.jsonl', jsonl([{ id: null, username: canary, hash }, { id: 2, username: '  ', hash }, { id: 3, username: null, hash }]));
    const error = await refusal({ path, mapping });
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'mapping.username' });
    expect(error.message).toBe('nobody.jsonl: no record (of 3) has both a subject id ("id", mapping.subjectId) and a username ("username", mapping.username): check the mapping');
    const csv = await refusal({ path: await write('nobody.csv', 'id,username,hash\n,,\n,,\n'), mapping });
    expect(csv.message).toContain('no record (of 2) has both a subject id');
  });
});

describe('file store: numbers JSON.parse cannot keep', () => {
  it('refuses a numeric id beyond 2^53, naming the record and the field, instead of merging two users', async () => {
    const records = [
      { id: 42, username: 'small', hash },
      { id: 1234567890123456789n, username: 'ann', hash },
      { id: 1234567890123456788n, username: 'bob', hash },
    ];
    // JSON.stringify cannot write a bigint; the export tools that write such ids do.
    const text = jsonl(records.map((record) => ({ ...record, id: '@@' + String(record.id) }))).replace(/"@@(\d+)"/gu, '$1');
    for (const [name, content] of [
      ['bigid.jsonl', text],
      ['bigid.json', `[${text.trim().split('\n').join(',')}]`],
    ] as const) {
      const error = await refusal({ path: await write(name, content), mapping });
      expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE', path: 'mapping.subjectId' });
      expect(error.message).toMatch(new RegExp(`^${name.replace('.', '\\.')}: JSONL? line \\d+ \\(record 2\\): "id" \\(mapping\\.subjectId\\) is a number that is not an integer within 2\\^53`, 'u'));
      expect(error.message).toContain('write it as a string');
      expect(error.message).not.toContain('12345678901234');
    }
    // Quoted, the same ids load as two users.
    const quoted = await fileUserStore({ path: await write('quoted.jsonl', jsonl(records.map((record) => ({ ...record, id: String(record.id) })))), registry, mapping });
    try {
      expect(await quoted.verify({ username: 'ann', password })).toMatchObject({ status: 'valid', subjectId: '1234567890123456789' });
      expect(await quoted.verify({ username: 'bob', password })).toMatchObject({ status: 'valid', subjectId: '1234567890123456788' });
      expect(quoted.stats.duplicateSubjectIds).toBe(0);
    } finally {
      await quoted.close();
    }
  });

  it('refuses a non-integer or huge number as username or email too, and keeps safe integers', async () => {
    const username = await refusal({ path: await write('numname.jsonl', jsonl([{ id: 'a', username: 1.5, hash }])), mapping });
    expect(username).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE', path: 'mapping.username' });
    const email = await refusal({ path: await write('numemail.jsonl', `{"id": "a", "username": "al", "mail": 1e300, "hash": "${hash}"}\n`), mapping: { ...mapping, email: 'mail' } });
    expect(email).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE', path: 'mapping.email' });
    expect(email.message).toContain('JSONL line 1 (record 1): "mail" (mapping.email)');
    const safe = await fileUserStore({ path: await write('safe.jsonl', jsonl([{ id: Number.MAX_SAFE_INTEGER, username: 1234, hash }])), registry, mapping });
    try {
      expect(await safe.verify({ username: '1234', password })).toMatchObject({ status: 'valid', subjectId: '9007199254740991' });
    } finally {
      await safe.close();
    }
  });
});

describe('CSV rows with more fields than the header', () => {
  it('fails as soon as a row passes the header’s field count, for a row of millions of delimiters', async () => {
    const path = pathIn('commas.csv');
    const handle = await open(path, 'w');
    try {
      await handle.write('id,username,hash\n1,a,');
      const commas = Buffer.alloc(1 << 20, ',');
      for (let i = 0; i < 8; i++) await handle.write(commas);
      await handle.write('\n');
    } finally {
      await handle.close();
    }
    const error = await refusal({ path, mapping, maxRecordBytes: 16 * 1024 * 1024 });
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE' });
    expect(error.message).toBe('commas.csv: CSV line 2 (record 1): has more than 3 fields, the header has 3');
  });

  it('counts a delimiter inside quotes as text, and a row of exactly the header’s fields as whole', async () => {
    const records: Record<string, string>[] = [];
    for await (const record of readCsv(Readable.from(['a,b\n"1,2,3",4\n,\n']))) records.push(record);
    expect(records).toEqual([
      { a: '1,2,3', b: '4' },
      { a: '', b: '' },
    ]);
  });
});
