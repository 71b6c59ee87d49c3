import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { fileUserStore, filePresetNames, type FileStoreOptions, type FileUserStore } from '../../../src/stores/file/index.js';
import type { Profile } from '../../../src/core/contracts.js';
import { describeStoreConformance, fixtureUsers } from '../fixture-conformance.js';
import { flatMapping, nestedMapping, writeFixtureFiles } from './file-fixture.js';

let dir: string;
let paths: Awaited<ReturnType<typeof writeFixtureFiles>>;
const registry = createHashRegistry({ workers: false });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'legacy-idp-file-'));
  paths = await writeFixtureFiles(dir);
});

afterAll(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function collect(store: FileUserStore, options: Parameters<FileUserStore['list']>[0] = {}): Promise<Profile[]> {
  const out: Profile[] = [];
  for await (const profile of store.list(options)) out.push(profile);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describeStoreConformance('file store (JSONL)', () => fileUserStore({ path: paths.jsonl, registry, matchEmail: true, mapping: flatMapping }));
describeStoreConformance('file store (JSON array under a key, nested fields)', () =>
  fileUserStore({ path: paths.json, jsonKey: 'users', registry, matchEmail: true, mapping: nestedMapping }),
);
describeStoreConformance('file store (CSV)', () => fileUserStore({ path: paths.csv, registry, matchEmail: true, mapping: flatMapping }));

/** Flat JSONL records (subject `id`, `user`, `mail`, `hash`) for the cases below. */
const minimal = { subjectId: 'id', username: 'user', email: 'mail', hash: 'hash' };
const jsonl = (records: object[]): string => `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;

describe('file store', () => {
  it('maps profiles like the other hash stores: names, email, credential, enabled, cursor = record position', async () => {
    const store = await fileUserStore({ path: paths.csv, registry, matchEmail: true, mapping: { ...flatMapping, attributes: { legacyId: 'id' } } });
    try {
      expect(store.name).toBe('file:csv');
      expect(store.stats).toEqual({ records: 4, users: 4, skippedRows: 0, usernameCollisions: 0, ambiguousEmails: 0, duplicateSubjectIds: 0, mergedRecords: 0 });
      const alice = await store.get('Alice@Example.org');
      expect(alice).toMatchObject({
        subjectId: '10',
        username: 'alice',
        email: 'alice@example.org',
        displayName: 'Alice Liddell, "the" one',
        givenName: 'Alice',
        surname: 'Liddell',
        enabled: true,
        attributes: { legacyId: '10' },
        credential: { scheme: 'auto' },
      });
      expect((await store.get('dave'))?.enabled).toBe(false);
      const listed = await collect(store);
      expect(listed.map((p) => [p.username, p.cursor])).toEqual([
        ['alice', '0'],
        ['bob', '1'],
        ['zoë', '2'],
        ['dave', '3'],
      ]);
      expect((await collect(store, { after: '1', batchSize: 1 })).map((p) => p.username)).toEqual(['zoë', 'dave']);
      expect((await collect(store, { after: '3' })).length).toBe(0);
      const bad = await rejection(collect(store, { after: 'x' }));
      expect(isLegacyIdpError(bad, 'ERR_LEGACY_IDP_INVALID_INPUT')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('reads the same users from all three formats, with the same subject ids', async () => {
    const subjects = async (options: FileStoreOptions): Promise<string[]> => {
      const store = await fileUserStore({ registry, ...options });
      try {
        return (await collect(store)).map((p) => `${p.subjectId}:${p.username}:${p.email ?? ''}:${String(p.enabled)}`);
      } finally {
        await store.close();
      }
    };
    const expected = await subjects({ path: paths.jsonl, mapping: flatMapping });
    expect(await subjects({ path: paths.csv, mapping: flatMapping })).toEqual(expected);
    expect(await subjects({ path: paths.json, jsonKey: 'users', mapping: nestedMapping })).toEqual(expected);
  });

  it('keeps only the mapped fields of each record', async () => {
    const path = await write('extra.jsonl', jsonl([{ id: 1, user: 'u1', hash: 'x', secretNotes: 'never kept', nested: { big: 'y'.repeat(1000) } }]));
    const store = await fileUserStore({ path, registry, mapping: { ...minimal, attributes: { kept: 'nested.big' } } });
    try {
      const profile = await store.get('u1');
      expect(Object.keys(profile?.attributes ?? {})).toEqual(['kept']);
      expect(JSON.stringify(profile)).not.toContain('never kept');
    } finally {
      await store.close();
    }
  });

  it('reads a column named __proto__ as a field: it maps like any other and never becomes the prototype', async () => {
    const hash = bcrypt.hashSync('Proto-Pass-1', 4);
    const path = await write('proto.csv', `id,user,mail,hash,__proto__,toString\n1,u1,,${hash},{"polluted":true},kept\n`);
    const store = await fileUserStore({ path, registry, mapping: { ...minimal, attributes: { proto: '__proto__', text: 'toString' } } });
    try {
      const profile = await store.get('u1');
      expect(profile?.attributes).toEqual({ proto: '{"polluted":true}', text: 'kept' });
      expect((await store.verify({ username: 'u1', password: 'Proto-Pass-1' })).status).toBe('valid');
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('counts records without a subject id or username, usernames that collide, shared emails and repeated ids', async () => {
    const path = await write(
      'messy.jsonl',
      jsonl([
        { id: 1, user: 'Ann', mail: 'shared@example.org', hash: bcrypt.hashSync('pw-ann', 4) },
        { id: 2, user: 'ann ', mail: 'ann2@example.org', hash: bcrypt.hashSync('pw-ann2', 4) },
        { id: 3, user: 'carl', mail: 'Shared@Example.org', hash: bcrypt.hashSync('pw-carl', 4) },
        { id: 4, user: 'erin', mail: 'erin@example.org', hash: bcrypt.hashSync('pw-erin', 4) },
        { id: 4, user: 'frank', hash: bcrypt.hashSync('pw-frank', 4) },
        { user: 'no-id', hash: 'x' },
        { id: 7, hash: 'x' },
        { id: 8, user: '   ', hash: 'x' },
      ]),
    );
    const store = await fileUserStore({ path, registry, matchEmail: true, mapping: minimal });
    try {
      expect(store.stats).toEqual({ records: 8, users: 5, skippedRows: 3, usernameCollisions: 1, ambiguousEmails: 1, duplicateSubjectIds: 1, mergedRecords: 0 });
      // Two records answer to "ann": neither signs in, neither is found.
      expect(await store.verify({ username: 'ann', password: 'pw-ann' })).toMatchObject({ status: 'unknown_user' });
      expect(await store.get('ANN')).toBeNull();
      // The shared email finds nobody; the usernames behind it still work.
      expect(await store.verify({ username: 'shared@example.org', password: 'pw-carl' })).toMatchObject({ status: 'unknown_user' });
      expect(await store.verify({ username: 'carl', password: 'pw-carl' })).toMatchObject({ status: 'valid', subjectId: '3' });
      expect(await store.verify({ username: 'erin@example.org', password: 'pw-erin' })).toMatchObject({ status: 'valid', subjectId: '4' });
      expect((await collect(store)).map((p) => p.subjectId)).toEqual(['1', '2', '3', '4', '4']);
    } finally {
      await store.close();
    }
  });

  it('reads a user whose username is also its email once, not as two matches', async () => {
    const path = await write('same.jsonl', jsonl([{ id: 1, user: 'kim@example.org', mail: 'kim@example.org', hash: bcrypt.hashSync('pw', 4) }]));
    const store = await fileUserStore({ path, registry, matchEmail: true, mapping: minimal });
    try {
      expect(await store.verify({ username: 'KIM@example.org', password: 'pw' })).toMatchObject({ status: 'valid' });
    } finally {
      await store.close();
    }
  });

  it('reads an empty CSV field as null, so null / not-null state rules read CSV as they read JSON', async () => {
    const hash = bcrypt.hashSync('pw', 4);
    const path = await write('states.csv', `id,user,hash,locked_at\n1,open,${hash},\n2,shut,${hash},2020-01-01\n`);
    const store = await fileUserStore({ path, registry, mapping: { ...minimal, email: undefined, states: [{ field: 'locked_at', when: 'not-null', status: 'disabled' }] } });
    try {
      expect(await store.verify({ username: 'open', password: 'pw' })).toMatchObject({ status: 'valid' });
      expect(await store.verify({ username: 'shut', password: 'pw' })).toMatchObject({ status: 'disabled' });
    } finally {
      await store.close();
    }
  });

  it('takes the format from the extension (.ndjson, .tsv, .gz), or from `format`', async () => {
    const hash = bcrypt.hashSync('pw', 4);
    const record = { id: 1, user: 'gus', hash };
    const cases: [string, string | Buffer, Partial<FileStoreOptions>][] = [
      ['a.ndjson', jsonl([record]), {}],
      ['a.tsv', `id\tuser\thash\n1\tgus\t${hash}\n`, {}],
      ['a.jsonl.gz', gzipSync(jsonl([record])), {}],
      ['a.csv.gz', gzipSync(`id;user;hash\n1;gus;${hash}\n`), { csv: { delimiter: ';' } }],
      ['a.txt', JSON.stringify([record]), { format: 'json' }],
      ['a.dat', `1,gus,${hash}\n`, { format: 'csv', csv: { header: ['id', 'user', 'hash'] } }],
    ];
    for (const [name, content, extra] of cases) {
      const path = await write(name, content);
      const store = await fileUserStore({ path, registry, mapping: { ...minimal, email: undefined }, ...extra });
      try {
        expect(await store.verify({ username: 'gus', password: 'pw' }), name).toMatchObject({ status: 'valid', subjectId: '1' });
      } finally {
        await store.close();
      }
    }
    const unknown = await rejection(fileUserStore({ path: await write('a.dat2', ''), registry, mapping: minimal }));
    expect(unknown).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'format' });
  });

  it('refuses a malformed file with a typed error naming the file and the line, never a value', async () => {
    const canary = '$2b$04$CANARYcanaryCANARYcanaryCANARYcanaryCANARYcanaryCANA';
    const cases: [string, string, Partial<FileStoreOptions>, RegExp][] = [
      ['bad.jsonl', `${JSON.stringify({ id: 1, user: 'a', hash: canary })}\n{"id": 2, "user": "b", "hash": "${canary}"\n`, {}, /^bad\.jsonl: JSONL line 2 \(record 2\): not valid JSON/u],
      ['bad.json', `[${JSON.stringify({ id: 1, user: 'a', hash: canary })}, {"id": 2, "hash": "${canary}`, {}, /^bad\.json: JSON line 1 \(record 2\): unexpected end of file/u],
      ['bad.csv', `id,user,mail,hash\n1,a,,${canary}\n2,b,,${canary},extra\n`, {}, /^bad\.csv: CSV line 3 \(record 2\): has more than 4 fields, the header has 4$/u],
      ['big.jsonl', jsonl([{ id: 1, user: 'a', hash: canary, pad: 'x'.repeat(200) }]), { maxRecordBytes: 100 }, /^big\.jsonl: JSONL line 1 \(record 1\): record larger than 100 bytes/u],
      ['wrapped.json', JSON.stringify({ users: [{ id: 1, user: 'a', hash: canary }] }), {}, /jsonKey/u],
    ];
    for (const [name, content, extra, message] of cases) {
      const error = await rejection(fileUserStore({ path: await write(name, content), registry, mapping: minimal, ...extra }));
      expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_FILE'), name).toBe(true);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('CANARY');
      expect(JSON.stringify(error)).not.toContain('CANARY');
    }
  });

  it('refuses a missing file and a directory with ERR_LEGACY_IDP_CONFIG_FILE', async () => {
    const missing = await rejection(fileUserStore({ path: join(dir, 'nope.jsonl'), registry, mapping: minimal }));
    expect(missing).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE' });
    expect(missing.message).toContain('ENOENT');
    const directory = await rejection(fileUserStore({ path: dir, registry, mapping: minimal, format: 'jsonl' }));
    expect(directory).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE' });
    const notGzip = await rejection(fileUserStore({ path: await write('fake.jsonl.gz', 'not gzip'), registry, mapping: minimal }));
    expect(notGzip).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE' });
    expect(notGzip.message).toContain('not a valid gzip file');
  });

  it('validates options at construction', async () => {
    await expect(fileUserStore({ path: paths.jsonl, registry, mapping: minimal, typo: true } as unknown as FileStoreOptions)).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_CONFIG_INVALID',
      path: 'typo',
    });
    await expect(fileUserStore({ path: paths.jsonl, registry, mapping: { subjectId: 'id', username: 'username' } })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_CONFIG_INVALID',
      path: 'hash',
    });
    await expect(fileUserStore({ path: paths.jsonl, registry, matchEmail: true, mapping: { ...minimal, email: undefined } })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_CONFIG_INVALID',
      path: 'matchEmail',
    });
    await expect(fileUserStore({ path: paths.csv, registry, csv: { delimiter: '"' }, mapping: minimal })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    await expect(fileUserStore({ path: paths.csv, registry, csv: { header: ['id', 'user', 'id'] }, mapping: minimal })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_CONFIG_INVALID',
      path: 'csv.header',
    });
    await expect(fileUserStore({ path: paths.jsonl, registry, mapping: { ...minimal, scheme: 'no_such_scheme' } })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME',
    });
    await expect(fileUserStore({ path: paths.jsonl, registry, preset: 'okta', mapping: minimal })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'preset' });
    expect(filePresetNames()).toEqual(['auth0', 'firebase', 'ms-sample']);
  });

  it('lets go of the users when closed', async () => {
    const store = await fileUserStore({ path: paths.jsonl, registry, mapping: flatMapping });
    expect(await store.verify(fixtureUsers.valid)).toMatchObject({ status: 'valid' });
    await store.close();
    await expect(store.get('alice')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CLOSED' });
  });
});
