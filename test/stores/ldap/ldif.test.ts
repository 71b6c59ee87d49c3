import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../../src/core/errors.js';
import { parseLdif, type LdifEntry, type LdifParseOptions, type LdifSkippedRecord, type LdifSummary } from '../../../src/stores/ldap/index.js';

/**
 * Output of `slapcat` from OpenLDAP 2.5.13 (Debian 12) for entries loaded with slapadd into a scratch mdb
 * database: it folds at 78 columns, writes non-ASCII and userPassword values as base64, and adds operational
 * attributes. A leading space in a value forces base64 too (cn of the last entry).
 */
const slapcat = `dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example
structuralObjectClass: organization
entryUUID: 48c479c2-7e15-1041-9205-559fd161d82a
creatorsName: cn=admin,dc=example,dc=org
createTimestamp: 20261126184524Z
entryCSN: 20261126184524.144081Z#000000#000#000000
modifiersName: cn=admin,dc=example,dc=org
modifyTimestamp: 20261126184524Z

dn: uid=zoe,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: zoe
cn:: Wm/DqyDDnG7Dr2NvZGU=
sn:: w5xuw69jb2Rl
givenName:: Wm/Dqw==
mail: zoe@example.org
description:: Wm/DqydzIGFjY291bnQgeHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4
 eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg=
userPassword:: e1NTSEF9Q24xYU1mQW1aTmh2TDZxWjcyeUtwRFQ3STR3WVBTK00=
structuralObjectClass: inetOrgPerson
entryUUID: 48c49088-7e15-1041-9207-559fd161d82a
creatorsName: cn=admin,dc=example,dc=org
createTimestamp: 20261126184524Z
entryCSN: 20261126184524.144721Z#000000#000#000000
modifiersName: cn=admin,dc=example,dc=org
modifyTimestamp: 20261126184524Z

dn: uid=lead space,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: lead space
cn:: IGxlYWRpbmcgc3BhY2U=
sn: Space
userPassword:: cGxhaW4tc2VjcmV0
structuralObjectClass: inetOrgPerson
entryUUID: 48c49a60-7e15-1041-9208-559fd161d82a
creatorsName: cn=admin,dc=example,dc=org
createTimestamp: 20261126184524Z
entryCSN: 20261126184524.144973Z#000000#000#000000
modifiersName: cn=admin,dc=example,dc=org
modifyTimestamp: 20261126184524Z

`;

async function parseAll(input: Parameters<typeof parseLdif>[0], options: LdifParseOptions = {}): Promise<{ entries: LdifEntry[]; summary: LdifSummary }> {
  const generator = parseLdif(input, options);
  const entries: LdifEntry[] = [];
  for (;;) {
    const next = await generator.next();
    if (next.done === true) return { entries, summary: next.value };
    entries.push(next.value);
  }
}

async function parseError(input: Parameters<typeof parseLdif>[0], options: LdifParseOptions = {}): Promise<Error> {
  try {
    await parseAll(input, options);
  } catch (error) {
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_LDIF_INVALID'), String(error)).toBe(true);
    return error as Error;
  }
  throw new Error('expected the parse to fail');
}

const plain = (entries: LdifEntry[]): { dn: string; attributes: Record<string, (string | Buffer)[]> }[] =>
  entries.map((entry) => ({ dn: entry.dn, attributes: Object.fromEntries(entry.attributes) }));

describe('parseLdif: slapcat output', () => {
  it('reads entries, base64 values as UTF-8 text, folded lines and leading spaces', async () => {
    const { entries, summary } = await parseAll(slapcat);
    expect(summary).toEqual({ entries: 3, skippedChangeRecords: 0 });
    expect(entries.map((e) => e.dn)).toEqual(['dc=example,dc=org', 'uid=zoe,ou=people,dc=example,dc=org', 'uid=lead space,ou=people,dc=example,dc=org']);
    expect(entries.map((e) => e.line)).toEqual([1, 14, 32]);
    const zoe = entries[1]!.attributes;
    expect(zoe.get('cn')).toEqual(['Zoë Ünïcode']);
    expect(zoe.get('givenname')).toEqual(['Zoë']);
    expect(zoe.get('description')).toEqual([`Zoë's account ${'x'.repeat(80)}`]);
    expect(zoe.get('userpassword')).toEqual(['{SSHA}Cn1aMfAmZNhvL6qZ72yKpDT7I4wYPS+M']);
    expect(zoe.get('entryuuid')).toEqual(['48c49088-7e15-1041-9207-559fd161d82a']);
    expect(zoe.get('objectclass')).toEqual(['inetOrgPerson']);
    expect(entries[2]!.attributes.get('cn')).toEqual([' leading space']);
    expect(entries[2]!.attributes.get('userpassword')).toEqual(['plain-secret']);
  });

  it('gives the same result for any chunking of the bytes, CRLF line ends and a BOM', async () => {
    const reference = plain((await parseAll(slapcat)).entries);
    const bytes = Buffer.from(`\ufeff${slapcat.replace(/\n/gu, '\r\n')}`, 'utf8');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 50 }), async (sizes) => {
        const chunks: Buffer[] = [];
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const size = sizes[i % sizes.length]!;
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        expect(plain((await parseAll(Readable.from(chunks))).entries)).toEqual(reference);
      }),
      { numRuns: 200 },
    );
    expect(plain((await parseAll(Readable.from(bytes.toString('utf8').split(''), { objectMode: true }))).entries)).toEqual(reference);
  });
});

describe('parseLdif: RFC 2849', () => {
  it('accepts the version header, alone or directly before the first record', async () => {
    expect((await parseAll('version: 1\n\ndn: cn=a\ncn: a\n')).entries).toHaveLength(1);
    expect((await parseAll('version: 1\ndn: cn=a\ncn: a\n')).entries.map((e) => e.line)).toEqual([2]);
    expect((await parseAll('# header\nversion: 1\n\n\n\ndn: cn=a\ncn: a')).entries).toHaveLength(1);
    expect((await parseError('version: 2\n\ndn: cn=a\n')).message).toMatch(/line 1: unsupported LDIF version/u);
  });

  it('unfolds lines, including a fold inside a multi-byte character', async () => {
    const bytes = Buffer.concat([Buffer.from('dn: cn=a\ndescription: caf'), Buffer.from([0xc3]), Buffer.from('\n '), Buffer.from([0xa9]), Buffer.from(' au lait\n')]);
    expect((await parseAll(bytes)).entries[0]!.attributes.get('description')).toEqual(['café au lait']);
    expect((await parseAll('dn: cn=a\ncn: one\n  two\n three\n')).entries[0]!.attributes.get('cn')).toEqual(['one twothree']);
    expect((await parseAll('dn: cn=a,\n dc=example\ncn: a\n')).entries[0]!.dn).toBe('cn=a,dc=example');
  });

  it('drops comments, folded comments and comments between records', async () => {
    const text = '# a comment\n# folded\n  comment: not an attribute\ndn: cn=a\n# inside\n  still inside\ncn: a\n\n# between\n\ndn: cn=b\ncn: b\n';
    const { entries } = await parseAll(text);
    expect(plain(entries)).toEqual([
      { dn: 'cn=a', attributes: { cn: ['a'] } },
      { dn: 'cn=b', attributes: { cn: ['b'] } },
    ]);
  });

  it('collects multiple values, lower-cases attribute descriptions and keeps options in the key', async () => {
    const { entries } = await parseAll('dn: cn=a\nCN: a\ncn: A2\ncn;lang-de: b\n2.5.4.4: oid-named\ndescription:\nmail:   spaced  \n');
    expect(plain(entries)[0]!.attributes).toEqual({
      cn: ['a', 'A2'],
      'cn;lang-de': ['b'],
      '2.5.4.4': ['oid-named'],
      description: [''],
      mail: ['spaced  '],
    });
  });

  it('decodes base64 DNs and keeps non-UTF-8 base64 values as Buffers', async () => {
    const guid = Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex');
    const text = `dn:: ${Buffer.from('cn=Zoë,dc=example').toString('base64')}\nobjectGUID:: ${guid.toString('base64')}\nempty::\n`;
    const entry = (await parseAll(text)).entries[0]!;
    expect(entry.dn).toBe('cn=Zoë,dc=example');
    expect(entry.attributes.get('objectguid')).toEqual([guid]);
    expect(entry.attributes.get('objectguid')![0]).toBeInstanceOf(Buffer);
    expect(entry.attributes.get('empty')).toEqual(['']);
  });

  it('treats changetype: add as an entry and skips and counts other change records', async () => {
    const skipped: LdifSkippedRecord[] = [];
    const text = [
      'version: 1',
      '',
      'dn: cn=new,dc=example',
      'changetype: add',
      'cn: new',
      '',
      'dn: cn=gone,dc=example',
      'control: 1.2.840.113556.1.4.805 true',
      'changetype: delete',
      '',
      'dn: cn=x,dc=example',
      'changetype: modify',
      'replace: mail',
      'mail: x@example.org',
      '-',
      '',
      'dn: cn=y,dc=example',
      'changetype: modrdn',
      'newrdn: cn=z',
      'deleteoldrdn: 1',
      '',
      'dn: cn=w,dc=example',
      'changetype: moddn',
      'newrdn: cn=v',
      'deleteoldrdn: 0',
    ].join('\n');
    const { entries, summary } = await parseAll(text, { onSkippedRecord: (record) => skipped.push(record) });
    expect(plain(entries)).toEqual([{ dn: 'cn=new,dc=example', attributes: { cn: ['new'] } }]);
    expect(summary).toEqual({ entries: 1, skippedChangeRecords: 4 });
    expect(skipped.map((r) => [r.dn, r.changetype, r.line])).toEqual([
      ['cn=gone,dc=example', 'delete', 7],
      ['cn=x,dc=example', 'modify', 11],
      ['cn=y,dc=example', 'modrdn', 17],
      ['cn=w,dc=example', 'moddn', 22],
    ]);
    expect((await parseError('dn: cn=a\nchangetype: frobnicate\n')).message).toMatch(/line 2: unknown changetype/u);
  });

  it('tolerates blank lines with white space between records and a file without a final newline', async () => {
    expect((await parseAll('dn: cn=a\ncn: a\n\n   \n\ndn: cn=b\ncn: b')).entries.map((e) => e.dn)).toEqual(['cn=a', 'cn=b']);
    expect((await parseAll('')).entries).toEqual([]);
    expect((await parseAll('\n\n# only a comment\n')).entries).toEqual([]);
  });

  it('reads a Node Readable, a Buffer and an async iterable of strings', async () => {
    const text = 'dn: cn=a\ncn: a\n';
    expect((await parseAll(Readable.from([Buffer.from(text)]))).entries).toHaveLength(1);
    expect((await parseAll(Buffer.from(text))).entries).toHaveLength(1);
    async function* strings(): AsyncGenerator<string> {
      await Promise.resolve();
      yield 'dn: cn=a\n';
      yield 'cn: a\n';
    }
    expect((await parseAll(strings())).entries).toHaveLength(1);
  });
});

describe('parseLdif: refusals', () => {
  it('never follows a URL value', async () => {
    for (const text of ['dn: cn=a\njpegPhoto:< file:///etc/passwd\n', 'dn: cn=a\nuserPassword:< http://attacker.example/x\n']) {
      expect((await parseError(text)).message).toMatch(/line 2: values by URL/u);
    }
  });

  it('names the line of syntax errors and never quotes content', async () => {
    const secret = 'TopSecretHash';
    const cases: [string, RegExp][] = [
      [`cn: ${secret}\n`, /line 1: a record must start with "dn:"/u],
      [`dn: cn=a\n${secret}\n`, /line 2: expected "attribute: value"/u],
      [`dn: cn=a\n: ${secret}\n`, /line 2: expected "attribute: value"/u],
      [`dn: cn=a\nbad attr: ${secret}\n`, /line 2: invalid attribute description/u],
      [`dn: cn=a\nuserPassword:: ${secret}!\n`, /line 2: invalid base64/u],
      [`dn: cn=a\nuserPassword:: abc\n`, /line 2: invalid base64/u],
      [` dn: cn=a\n`, /line 1: continuation line with no line to continue/u],
      [`dn:: ${Buffer.from([0xff, 0xfe]).toString('base64')}\n`, /line 1: the base64 DN is not valid UTF-8/u],
      [`dn: cn=a\n-\n`, /line 2: expected "attribute: value"/u],
      [`dn: cn=a\ncn: ${secret}\n   \ndn: cn=b\n`, /line 4: a second "dn:" in one record/u],
    ];
    for (const [text, message] of cases) {
      const error = await parseError(text);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(secret);
    }
    const latin1 = Buffer.concat([Buffer.from('dn: cn=a\ncn: caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    expect((await parseError(latin1)).message).toMatch(/line 2: not valid UTF-8/u);
  });

  it('refuses a line over the limit without buffering the rest of it', async () => {
    let pulled = 0;
    async function* endlessLine(): AsyncGenerator<Buffer> {
      yield Buffer.from('dn: cn=a\ndescription: ');
      for (;;) {
        pulled += 1;
        await Promise.resolve();
        yield Buffer.alloc(1024, 0x61);
      }
    }
    expect((await parseError(endlessLine())).message).toMatch(/line 2: line longer than 65536 bytes/u);
    expect(pulled).toBeLessThanOrEqual(65);
    expect((await parseError('dn: cn=a\ncn: ' + 'x'.repeat(100), { maxLineBytes: 50 })).message).toMatch(/line 2: line longer than 50 bytes/u);
    // Exactly at the limit, with a CRLF, is fine.
    expect((await parseAll(`dn: cn=a\r\ncn: ${'x'.repeat(46)}\r\n`, { maxLineBytes: 50 })).entries).toHaveLength(1);
  });

  it('refuses a record over the limit, however it is split into lines', async () => {
    let pulled = 0;
    async function* endlessRecord(): AsyncGenerator<string> {
      yield 'dn: cn=a\n';
      for (;;) {
        pulled += 1;
        await Promise.resolve();
        yield `description: ${'y'.repeat(1000)}\n folded ${'z'.repeat(1000)}\n`;
      }
    }
    expect((await parseError(endlessRecord())).message).toMatch(/line 1: record larger than 1048576 bytes/u);
    expect(pulled).toBeLessThan(600);
    expect((await parseError('dn: cn=a\n' + 'cn: 12345\n'.repeat(20), { maxRecordBytes: 100 })).message).toMatch(/record larger than 100 bytes/u);
    // The limit is per record: many small records pass.
    expect((await parseAll('dn: cn=a\ncn: 12345\n\n'.repeat(50), { maxRecordBytes: 100 })).entries).toHaveLength(50);
  });

  it('refuses nonsensical limits', async () => {
    for (const maxRecordBytes of [0, -1, 1.5, Number.NaN]) {
      await expect(parseAll('', { maxRecordBytes })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    }
  });
});

describe('parseLdif: streaming', () => {
  it('reads no further than the record it yields', async () => {
    let produced = 0;
    async function* manyRecords(): AsyncGenerator<string> {
      for (let i = 0; i < 1_000_000; i++) {
        produced += 1;
        await Promise.resolve();
        yield `dn: uid=user${i},dc=example\nuid: user${i}\n\n`;
      }
    }
    const seen: string[] = [];
    for await (const entry of parseLdif(manyRecords())) {
      seen.push(entry.dn);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['uid=user0,dc=example', 'uid=user1,dc=example', 'uid=user2,dc=example']);
    // The third record is known complete only when the blank line after it arrives; one more chunk at most.
    expect(produced).toBeLessThanOrEqual(5);
  });

  it('keeps heap use flat over 100 000 records', async () => {
    async function* manyRecords(): AsyncGenerator<string> {
      for (let i = 0; i < 100_000; i++) {
        await Promise.resolve();
        yield `dn: uid=user${i},ou=people,dc=example,dc=org\nuid: user${i}\nuserPassword:: ${Buffer.from(`{SSHA}${'x'.repeat(28)}`).toString('base64')}\n\n`;
      }
    }
    let count = 0;
    let peak = 0;
    const start = process.memoryUsage().heapUsed;
    for await (const entry of parseLdif(manyRecords())) {
      count += entry.attributes.size;
      if (count % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - start);
    }
    expect(count).toBe(200_000);
    // Holding every record takes about 70 MB here; streaming peaks near 8 MB.
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  });
});
