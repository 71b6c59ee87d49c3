import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../../src/core/errors.js';
import { readCsv, readJsonArray, readJsonLines, type RecordFileInput } from '../../../src/stores/file/index.js';

/** The text as a stream cut into chunks of `size` bytes, so every token boundary meets a chunk boundary somewhere. */
function chunked(text: string | Buffer, size = 7): Readable {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

async function all<T>(records: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const record of records) out.push(record);
  return out;
}

async function failure(records: AsyncIterable<unknown>): Promise<Error> {
  try {
    await all(records);
  } catch (error) {
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_FILE'), String(error)).toBe(true);
    return error as Error;
  }
  throw new Error('expected the reader to fail');
}

const csv = (text: string | Buffer, options: Parameters<typeof readCsv>[1] = {}, size = 7): Promise<Record<string, string>[]> => all(readCsv(chunked(text, size), options));

describe('readCsv (RFC 4180)', () => {
  it('reads quoted fields with delimiters, doubled quotes, embedded CRLF and LF, and empty fields', async () => {
    const text = 'a,b,c\r\n"x,1","say ""hi""","two\r\nlines"\r\n,,\r\n"","",""\r\nplain,"multi\nline",last';
    for (const size of [1, 2, 3, 7, 1024]) {
      expect(await csv(text, {}, size)).toEqual([
        { a: 'x,1', b: 'say "hi"', c: 'two\r\nlines' },
        { a: '', b: '', c: '' },
        { a: '', b: '', c: '' },
        { a: 'plain', b: 'multi\nline', c: 'last' },
      ]);
    }
  });

  it('accepts LF, CRLF and lone CR line ends, a final line end or none, and skips empty lines', async () => {
    const expected = [
      { h: '1', i: '2' },
      { h: '3', i: '4' },
    ];
    expect(await csv('h,i\n1,2\n3,4\n')).toEqual(expected);
    expect(await csv('h,i\r\n1,2\r\n\r\n3,4')).toEqual(expected);
    expect(await csv('h,i\r1,2\r3,4\r')).toEqual(expected);
    expect(await csv('\n\nh,i\n\n1,2\n3,4\n\n\n')).toEqual(expected);
  });

  it('drops a UTF-8 byte order mark, even split across chunks, and refuses UTF-16', async () => {
    expect(await csv('\uFEFFname\nzoë\n', {}, 1)).toEqual([{ name: 'zoë' }]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name\r\nzoe\r\n', 'utf16le')]);
    expect((await failure(readCsv(chunked(utf16)))).message).toMatch(/UTF-16/u);
  });

  it('refuses bytes that are not UTF-8 (a Latin-1 export), naming the line', async () => {
    const latin1 = Buffer.concat([Buffer.from('name\nok\nzo'), Buffer.from([0xeb]), Buffer.from('\n')]);
    expect((await failure(readCsv(chunked(latin1)))).message).toBe('CSV line 3 (record 2): not valid UTF-8 (save the export as UTF-8)');
  });

  it('refuses ragged rows with the line and record, not the content', async () => {
    const error = await failure(readCsv(chunked('a,b\n1,2\n"multi\nline",SECRET,extra\n')));
    expect(error.message).toBe('CSV line 3 (record 2): has more than 2 fields, the header has 2');
    expect((await failure(readCsv(chunked('a,b\n1\n')))).message).toBe('CSV line 2 (record 1): has 1 field, the header has 2');
  });

  it('refuses text after a closing quote, and a quote left open (truncated file)', async () => {
    expect((await failure(readCsv(chunked('a,b\n"SECRET"x,2\n')))).message).toBe('CSV line 2 (record 1): unexpected text after the closing quote of a field');
    expect((await failure(readCsv(chunked('a,b\n1,2\n3,"SECRET\nand more')))).message).toBe(
      'CSV line 3 (record 2): a quoted field is not closed at the end of the file (truncated file?)',
    );
  });

  it('keeps a quote inside an unquoted field as it is', async () => {
    expect(await csv('a,b\n5\'10",x\n')).toEqual([{ a: '5\'10"', b: 'x' }]);
  });

  it('takes a delimiter and header names, and drops columns whose header name is empty', async () => {
    expect(await csv('1;"a;b"\n2;c\n', { delimiter: ';', header: ['id', 'v'] })).toEqual([
      { id: '1', v: 'a;b' },
      { id: '2', v: 'c' },
    ]);
    expect(await csv('id\tv\t\n1\tx\t\n', { delimiter: '\t' })).toEqual([{ id: '1', v: 'x' }]);
    // A column named __proto__ is a field, not the prototype.
    const [record] = await csv('__proto__,x\n1,2\n');
    expect(Object.hasOwn(record ?? {}, '__proto__')).toBe(true);
  });

  it('refuses a header naming a column twice without quoting it', async () => {
    expect((await failure(readCsv(chunked('SECRET,b,SECRET\n1,2,3\n')))).message).toBe('CSV line 1: the header names columns 1 and 3 alike');
  });

  it('refuses a record over the size limit as soon as it is crossed', async () => {
    const error = await failure(readCsv(chunked(`a\nshort\n${'x'.repeat(5000)}\n`), { maxRecordBytes: 1000 }));
    expect(error.message).toBe('CSV line 3 (record 2): record larger than 1000 bytes (maxRecordBytes)');
    // An open quote that never closes stops at the limit too, instead of reading the whole file into one field.
    const open = await failure(readCsv(chunked(`a\n"${'y\n'.repeat(5000)}`), { maxRecordBytes: 1000 }));
    expect(open.message).toMatch(/record larger than 1000 bytes/u);
  });

  it('reads a file handle from its current position without closing it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'legacy-idp-csv-'));
    try {
      const path = join(dir, 'a.csv');
      await writeFile(path, 'a\n1\n2\n');
      const handle = await open(path, 'r');
      try {
        expect(await all(readCsv(handle))).toEqual([{ a: '1' }, { a: '2' }]);
        expect((await handle.stat()).size).toBe(6);
        // A consumer that stops early leaves the handle open too.
        await writeFile(path, '{"a":1}\n{"a":2}\n');
        const again = await open(path, 'r');
        try {
          for await (const record of readJsonLines(again)) {
            expect(record).toEqual({ a: 1 });
            break;
          }
          expect((await again.stat()).size).toBe(16);
        } finally {
          await again.close();
        }
      } finally {
        await handle.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const jsonArray = (text: string, options: Parameters<typeof readJsonArray>[1] = {}, size = 7): Promise<Record<string, unknown>[]> =>
  all(readJsonArray(chunked(text, size), options));

describe('readJsonArray', () => {
  it('splits elements whose strings hold brackets, braces, escaped quotes and backslashes, and nested arrays', async () => {
    const records = [
      { s: '[', t: ']', u: '{', v: '}' },
      { q: 'say \\"hi\\" ]}', b: 'back\\\\slash\\\\', n: [[1, [2, [3]]], { deep: [{ x: '"]' }] }] },
      { e: '', u: '\u00e9\ud83d\udd11', esc: '\\u005d' },
    ];
    const text = JSON.stringify(records.map((r) => JSON.parse(JSON.stringify(r)) as unknown));
    for (const size of [1, 2, 5, 64, 4096]) expect(await jsonArray(text, {}, size)).toEqual(JSON.parse(text));
    expect(await jsonArray(' \n [ ] \n ')).toEqual([]);
  });

  it('reads the array under a top-level key, skipping the other members', async () => {
    const text = JSON.stringify({ a: 'x]}', b: [1, { c: ['}'] }], n: 12.5, t: true, z: null, users: [{ id: 1 }, { id: 2 }], after: { users: 'not this' } }, null, 2);
    expect(await jsonArray(text, { key: 'users' })).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await jsonArray('{"\\u0075sers":[{"id":1}]}', { key: 'users' })).toEqual([{ id: 1 }]);
  });

  it('says what is wrong with the wrapping object without quoting values', async () => {
    expect((await failure(readJsonArray(chunked('{"users": [{"id": 1}]}')))).message).toMatch(/top level is an object.*jsonKey/u);
    expect((await failure(readJsonArray(chunked('[{"id": 1}]'), { key: 'users' }))).message).toMatch(/top level is an array/u);
    expect((await failure(readJsonArray(chunked('{"people": []}'), { key: 'users' }))).message).toBe('JSON line 1: the top-level object has no key "users"');
    expect((await failure(readJsonArray(chunked('{"users": {"SECRET": 1}}'), { key: 'users' }))).message).toBe('JSON line 1: the value of "users" is not an array');
    expect((await failure(readJsonArray(chunked('{"users": [], "users": []}'), { key: 'users' }))).message).toBe('JSON line 1: the key "users" appears twice');
    expect((await failure(readJsonArray(chunked('')))).message).toBe('JSON line 1: the file is empty');
  });

  it('refuses elements that are not objects, trailing commas and content after the array', async () => {
    expect((await failure(readJsonArray(chunked('[{"a":1},\n"SECRET"]')))).message).toBe('JSON line 2 (record 2): is not a JSON object');
    expect((await failure(readJsonArray(chunked('[{"a":1},]')))).message).toBe('JSON line 1: trailing comma before the end of the array');
    expect((await failure(readJsonArray(chunked('[{"a":1}] [')))).message).toBe('JSON line 1: unexpected content after the end of the JSON value');
    expect((await failure(readJsonArray(chunked('[{"a":1} {"b":2}]')))).message).toBe("JSON line 1 (record 1): expected ',' or ']' after a record");
  });

  it('refuses an element JSON.parse refuses, with its line and column, never its text', async () => {
    const error = await failure(readJsonArray(chunked('[\n{"a": 1},\n{\n  "hash": "SECRET",\n  "b": SECRET\n}]')));
    expect(error.message).toMatch(/^JSON line 3 \(record 2\): not valid JSON/u);
    expect(error.message).not.toContain('SECRET');
    expect(error.cause).toBeUndefined();
    const positioned = await failure(readJsonArray(chunked('[\n{"a": 1},\n{\n  "hash": "SECRET",\n  "b": 1,\n}]')));
    expect(positioned.message).toBe('JSON line 3 (record 2): not valid JSON (at line 6, column 1)');
  });

  it('refuses a truncated file, inside or between elements', async () => {
    const text = JSON.stringify({ users: [{ id: 1, hash: 'SECRET' }, { id: 2, hash: 'SECRET' }] });
    for (let cut = 1; cut < text.length - 1; cut++) {
      const error = await failure(readJsonArray(chunked(text.slice(0, cut)), { key: 'users' }));
      expect(error.message).not.toContain('SECRET');
    }
    expect((await failure(readJsonArray(chunked('[{"id": 1}, {"id": "tru')))).message).toBe(
      'JSON line 1 (record 2): unexpected end of file inside the record that starts at line 1 (truncated file?)',
    );
  });

  it('refuses an element over the size limit as soon as it is crossed, even an unclosed string', async () => {
    const error = await failure(readJsonArray(chunked(`[{"a":1},\n{"pad":"${'x'.repeat(5000)}"}]`), { maxRecordBytes: 1000 }));
    expect(error.message).toBe('JSON line 2 (record 2): record larger than 1000 bytes (maxRecordBytes)');
    expect((await failure(readJsonArray(chunked(`[{"a":"${'x'.repeat(5000)}`), { maxRecordBytes: 1000 }))).message).toMatch(/record larger than 1000 bytes/u);
  });

  it('accepts // and /* */ comments between tokens only when asked (Newtonsoft-written files)', async () => {
    const text = '// users\n{ "userType": "x", /* note */ "Users": [\n  { // local\n  "a": "//not a comment", "b": "/* nor this */" /* c */ },\n  {"c": 1} // end\n]} // done';
    expect(await jsonArray(text, { key: 'Users', comments: true }, 3)).toEqual([{ a: '//not a comment', b: '/* nor this */' }, { c: 1 }]);
    await failure(readJsonArray(chunked(text), { key: 'Users' }));
    expect((await failure(readJsonArray(chunked('[{"a": 1 /* open'), { comments: true }))).message).toMatch(/unexpected end of file/u);
  });
});

const jsonLines = (text: string | Buffer, options: Parameters<typeof readJsonLines>[1] = {}, size = 7): Promise<Record<string, unknown>[]> =>
  all(readJsonLines(chunked(text, size), options));

describe('readJsonLines', () => {
  it('reads one object per line, LF or CRLF, skipping blank lines, with or without a final line end', async () => {
    for (const size of [1, 3, 4096]) {
      expect(await jsonLines('\uFEFF{"a":1}\r\n\r\n  \t\n{"b":"x\\ny"}\n{"c":[1,{"d":"}"}]}', {}, size)).toEqual([{ a: 1 }, { b: 'x\ny' }, { c: [1, { d: '}' }] }]);
    }
  });

  it('refuses lines that are not JSON objects, naming line and record only', async () => {
    expect((await failure(readJsonLines(chunked('{"a":1}\n\n["SECRET"]\n')))).message).toBe('JSONL line 3 (record 2): is not a JSON object');
    const error = await failure(readJsonLines(chunked('{"a":1}\n{"hash":"SECRET", oops}\n')));
    expect(error.message).toMatch(/^JSONL line 2 \(record 2\): not valid JSON/u);
    expect(error.message).not.toContain('SECRET');
  });

  it('refuses a truncated last line', async () => {
    expect((await failure(readJsonLines(chunked('{"a":1}\n{"hash":"SECRET')))).message).toMatch(/^JSONL line 2 \(record 2\): not valid JSON/u);
  });

  it('refuses a line over the size limit before reading the rest of it', async () => {
    const metrics = { records: 0, peakBufferedBytes: 0 };
    const endless = Readable.from(
      (function* () {
        yield Buffer.from('{"a":1}\n{"pad":"');
        for (let i = 0; i < 1000; i++) yield Buffer.alloc(64 * 1024, 0x78);
      })(),
    );
    const error = await failure(readJsonLines(endless, { maxRecordBytes: 256 * 1024, metrics }));
    expect(error.message).toBe('JSONL line 2 (record 2): record larger than 262144 bytes (maxRecordBytes)');
    expect(metrics.peakBufferedBytes).toBeLessThanOrEqual(256 * 1024);
  });

  it('checks its limit option', async () => {
    await expect(all(readJsonLines(chunked('{}'), { maxRecordBytes: 0 }))).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
  });
});

describe('readers read back what was written (property)', () => {
  // Keys and values from the whole of Unicode, with the characters that shape each format over-represented.
  const tricky = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: fc.constantFrom(',', ';', '"', '\r', '\n', '[', ']', '{', '}', '\\', '/', '*', ' ', 'a', 'é', '🔑'), maxLength: 12 }),
  );
  const jsonValue = fc.oneof(tricky, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tricky, { maxLength: 3 }), fc.dictionary(tricky, tricky, { maxKeys: 3 }));
  const jsonRecords = fc.array(fc.dictionary(tricky, jsonValue, { maxKeys: 5 }), { maxLength: 8 });
  const chunkSize = fc.integer({ min: 1, max: 64 });

  const same = (records: Record<string, unknown>[]): unknown => JSON.parse(JSON.stringify(records));

  it('JSON Lines', async () => {
    await fc.assert(
      fc.asyncProperty(jsonRecords, chunkSize, fc.boolean(), async (records, size, crlf) => {
        const text = records.map((record) => JSON.stringify(record)).join(crlf ? '\r\n' : '\n');
        expect(await jsonLines(text, {}, size)).toEqual(same(records));
      }),
      { numRuns: 300 },
    );
  });

  it('JSON array, bare and under a key', async () => {
    await fc.assert(
      fc.asyncProperty(jsonRecords, chunkSize, fc.boolean(), fc.constantFrom(0, 2), async (records, size, wrapped, indent) => {
        const text = wrapped ? JSON.stringify({ before: records, users: records, after: records }, null, indent) : JSON.stringify(records, null, indent);
        expect(await jsonArray(text, wrapped ? { key: 'users' } : {}, size)).toEqual(same(records));
      }),
      { numRuns: 300 },
    );
  });

  it('CSV', async () => {
    const quoteField = (value: string): string => `"${value.replaceAll('"', '""')}"`;
    const plainOrQuoted = (value: string): string => (/[",;\r\n]/u.test(value) || value === '' ? quoteField(value) : value);
    const table = fc.integer({ min: 1, max: 5 }).chain((width) =>
      fc.record({
        header: fc.uniqueArray(tricky.filter((name) => name !== ''), { minLength: width, maxLength: width }),
        rows: fc.array(fc.array(tricky, { minLength: width, maxLength: width }), { maxLength: 8 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(table, chunkSize, fc.constantFrom(',', ';'), fc.constantFrom('\r\n', '\n'), fc.boolean(), async ({ header, rows }, size, delimiter, newline, bom) => {
        // Every field quoted when it must be; a row of one empty field is quoted so it is not an empty line.
        const line = (fields: string[]): string => fields.map((field) => (fields.length === 1 && field === '' ? '""' : plainOrQuoted(field))).join(delimiter);
        const text = `${bom ? '\uFEFF' : ''}${[header, ...rows].map(line).join(newline)}`;
        const expected = rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] as string])));
        expect(await csv(text, { delimiter }, size)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

/** The readers accept any AsyncIterable of chunks, strings included. */
it('reads string chunks as UTF-8', async () => {
  const source: RecordFileInput = Readable.from(['{"a":"é', '"}\n'], { objectMode: true });
  expect(await all(readJsonLines(source))).toEqual([{ a: 'é' }]);
});

