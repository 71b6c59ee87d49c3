/**
 * Exports the file store used to load with values nobody wrote: a CSV header row repeated inside the data (two
 * exports joined with `cat`, or `csv.header` given for a file with its own header row) became a user whose
 * username was "username" and whose password was "password"; `1, "alice"` kept the quotes in the username;
 * a JSON object or array as a subject id, username or email became its JSON text. Each is now refused with
 * ERR_LEGACY_IDP_CONFIG_FILE naming the line or record and never the value. And the store tells which file it
 * loaded (`sha256`), which `legacy-idp premigrate` checks before resuming at a record position.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError, type LegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { fileUserStore, readCsv, type FileStoreOptions } from '../../../src/stores/file/index.js';
import { exportFolder } from './file-fixture.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const { write } = exportFolder('legacy-idp-file-misread-');
const mapping = { subjectId: 'id', username: 'username', hash: 'password', scheme: 'plaintext' };

async function refusal(options: FileStoreOptions): Promise<LegacyIdpError> {
  try {
    const store = await fileUserStore({ registry, ...options });
    await store.close();
  } catch (error) {
    expect(isLegacyIdpError(error), String(error)).toBe(true);
    return error as LegacyIdpError;
  }
  throw new Error(`expected ${options.path} to be refused`);
}

async function readAll(text: string, options: Parameters<typeof readCsv>[1] = {}): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const record of readCsv(Readable.from([text]), options)) out.push(record);
  return out;
}

describe('CSV: a data row that repeats the header', () => {
  it('refuses two exports joined into one file, naming the line, instead of loading a user "username"', async () => {
    const path = await write('joined.csv', 'id,username,email,password\r\n1,alice,alice@example.com,Alice-pw1\r\nid,username,email,password\r\n2,bob,bob@example.com,Bob-pw2\r\n');
    const error = await refusal({ path, mapping: { ...mapping, email: 'email' }, matchEmail: true });
    // Before: it loaded 3 users, and username/password signed in.
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE' });
    expect(error.message).toBe('joined.csv: CSV line 3 (record 2): repeats the header row (two exports joined into one file?): remove the repeated header');
  });

  it('refuses csv.header given for a file that has its own header row, saying to leave csv.header out', async () => {
    const path = await write('own-header.csv', 'id,username,password\r\n1,alice,Alice-pw1\r\n');
    const error = await refusal({ path, mapping, csv: { header: ['id', 'username', 'password'] } });
    expect(error.code).toBe('ERR_LEGACY_IDP_CONFIG_FILE');
    expect(error.message).toMatch(/^own-header\.csv: CSV line 1 \(record 1\): .*leave csv\.header out/u);
  });

  it('keeps a row that repeats only some column names', async () => {
    expect(await readAll('id,username\n1,username\nid,2\n')).toEqual([
      { id: '1', username: 'username' },
      { id: 'id', username: '2' },
    ]);
  });
});

describe('CSV: a quote after blanks at the start of a field', () => {
  it('refuses `1, "alice"` naming the line, instead of a username with quotes in it', async () => {
    const path = await write('space-quote.csv', 'id,username,password\r\n1,bob,Bob-pw2\r\n1, "alice", "Alice-pw1"\r\n');
    const error = await refusal({ path, mapping });
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE' });
    expect(error.message).toBe('space-quote.csv: CSV line 3 (record 2): a quote after blanks at the start of a field: remove the blanks before the opening quote');
    await expect(readAll('a,b\n1,\t"x"\n')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE' });
  });

  it('still keeps blanks in unquoted fields, and a quote inside an unquoted field', async () => {
    expect(await readAll('a,b,c\n1, x ,y"z\n2,  ,\n')).toEqual([
      { a: '1', b: ' x ', c: 'y"z' },
      { a: '2', b: '  ', c: '' },
    ]);
    // A tab delimiter is a delimiter, not a blank.
    expect(await readAll('a\tb\n1\t"x y"\n', { delimiter: '\t' })).toEqual([{ a: '1', b: 'x y' }]);
  });
});

describe('JSON: objects and arrays where a subject id, username or email goes', () => {
  it('refuses MongoDB extended JSON ids, suggesting the field inside, and names the record', async () => {
    const path = await write('mongoexport.jsonl', `${JSON.stringify({ _id: 'a1', username: 'ann', password: 'x' })}\n\n${JSON.stringify({ _id: { $oid: '5dea9f9c82dd7c0e76e4ec93' }, username: 'bob', password: 'y' })}\n`);
    const error = await refusal({ path, mapping: { ...mapping, subjectId: '_id' } });
    // Before: the subject id was the text {"$oid":"5dea..."}.
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE', path: 'mapping.subjectId' });
    expect(error.message).toBe('mongoexport.jsonl: JSONL line 3 (record 2): "_id" (mapping.subjectId) is an object, not a string or a number: map the field inside it ("_id.$oid" for MongoDB extended JSON)');
    // Mapped as suggested, it loads.
    const store = await fileUserStore({ path: await write('mongoexport-oid.jsonl', `${JSON.stringify({ _id: { $oid: '5dea9f9c82dd7c0e76e4ec93' }, username: 'bob', password: 'y' })}\n`), registry, mapping: { ...mapping, subjectId: '_id.$oid' } });
    try {
      expect((await store.get('bob'))?.subjectId).toBe('5dea9f9c82dd7c0e76e4ec93');
    } finally {
      await store.close();
    }
  });

  it('refuses an array as username or email, naming the option', async () => {
    const username = await refusal({ path: await write('array-name.json', JSON.stringify([{ id: 'a', username: ['ann', 'anne'], password: 'x' }])), mapping });
    expect(username).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE', path: 'mapping.username' });
    expect(username.message).toBe('array-name.json: JSON line 1 (record 1): "username" (mapping.username) is an array, not a string or a number: map the field inside it');
    const email = await refusal({ path: await write('object-mail.jsonl', `${JSON.stringify({ id: 'a', username: 'ann', mail: { primary: 'ann@example.com' }, password: 'x' })}\n`), mapping: { ...mapping, email: 'mail' } });
    expect(email).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE', path: 'mapping.email' });
    expect(email.message).not.toContain('ann@example.com');
  });
});

describe('the digest of the file a store loaded', () => {
  it("is the SHA-256 of the file's bytes (compressed bytes for .gz), and changes with them", async () => {
    const text = `${JSON.stringify({ id: 'a', username: 'ann', password: 'x' })}\n`;
    const plain = await write('digest.jsonl', text);
    const gzipped = await write('digest.jsonl.gz', gzipSync(text));
    const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
    for (const path of [plain, gzipped]) {
      const store = await fileUserStore({ path, registry, mapping });
      try {
        expect(store.sha256).toBe(sha256(path));
      } finally {
        await store.close();
      }
    }
    const changed = await fileUserStore({ path: await write('digest.jsonl', `${text}${text.replace('"a"', '"b"').replace('ann', 'bob')}`), registry, mapping });
    try {
      expect(changed.sha256).not.toBe(createHash('sha256').update(text).digest('hex'));
      expect(changed.sha256).toBe(sha256(plain));
    } finally {
      await changed.close();
    }
  });
});
