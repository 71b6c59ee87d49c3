import fc from 'fast-check';
import { AndFilter, EqualityFilter, FilterParser, OrFilter, type Filter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../../src/core/errors.js';
import { escapeDnValue, escapeFilterValue, fillTemplate } from '../../../src/stores/ldap/index.js';
import { injectionUsernames } from '../../../src/testing/index.js';

/** Filter and DN injection payloads; the conformance suite's usernames are appended. */
const corpus: string[] = [
  '*',
  '*)(uid=*',
  'admin)(|(uid=*',
  ')(&',
  '*)(|(objectClass=*))',
  'admin))(|(userPassword=*',
  'a)(objectClass=*',
  '(',
  ')',
  'admin*',
  '\u0000',
  'admin\u0000',
  'x\u0000)(uid=*',
  '\\',
  'a\\b',
  '\\\\',
  '\\2a',
  '\\5c2a',
  '\\29',
  ' leading',
  'trailing ',
  '  both  ',
  ' ',
  '   ',
  ',cn=admin',
  'alice,ou=admins,dc=example,dc=org',
  '+cn=x',
  'alice+uid=bob',
  '#x',
  '#',
  'a#b',
  '"quoted"',
  '<script>',
  '<>',
  ';',
  'a;b',
  '=',
  'a=b',
  'uid=admin',
  'zoë',
  'Ünïcödé',
  '日本語',
  'e\u0301',
  '🔑emoji👨‍👩‍👧',
  'x'.repeat(10_000),
  'é'.repeat(2_000),
  'line\nbreak',
  'crlf\r\ninjected: yes',
  '\t',
  'del\u007f',
  'c1\u0085\u009f',
  '$&',
  "$'",
  '$`',
  '{username}',
  '\u202eRTL override',
  '\ufeffbom',
  ...injectionUsernames('alice'),
];

// ------------------------------------------------------------------------------------------------------
// A small RFC 4515 value unescaper: `\` HEX HEX is a byte; `*`, `(`, `)`, `\` and NUL may not appear raw.

function unescapeFilterValue(escaped: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; ) {
    const char = escaped[i]!;
    if (char === '\\') {
      const pair = escaped.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/u.test(pair)) throw new Error(`bad escape at ${i}`);
      bytes.push(Number.parseInt(pair, 16));
      i += 3;
      continue;
    }
    if (char === '*' || char === '(' || char === ')' || char === '\u0000') throw new Error(`unescaped ${JSON.stringify(char)} at ${i}`);
    const point = escaped.codePointAt(i)!;
    const unit = String.fromCodePoint(point);
    bytes.push(...Buffer.from(unit, 'utf8'));
    i += unit.length;
  }
  return Buffer.from(bytes);
}

// ------------------------------------------------------------------------------------------------------
// A minimal RFC 4514 DN parser (section 3 grammar): RDNs split on `,`, AVAs on `+`; a value is `\` special,
// `\` HEX HEX (a UTF-8 byte), or a raw string character; raw `"` `;` `<` `>` NUL, a raw leading space or `#`
// and a raw trailing space are syntax errors.

interface Ava {
  type: string;
  value: string;
}

const specials = new Set(['"', '+', ',', ';', '<', '>', '\\', ' ', '#', '=']);

function parseDn(dn: string): Ava[][] {
  const rdns: Ava[][] = [];
  let rdn: Ava[] = [];
  let i = 0;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  while (i < dn.length) {
    const typeMatch = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)=/u.exec(dn.slice(i));
    if (!typeMatch) throw new Error(`attribute type expected at ${i}`);
    const type = typeMatch[0].slice(0, -1);
    i += typeMatch[0].length;
    const bytes: number[] = [];
    const start = i;
    let lastRawSpace = false;
    while (i < dn.length && dn[i] !== ',' && dn[i] !== '+') {
      const char = dn[i]!;
      lastRawSpace = false;
      if (char === '\\') {
        const next = dn[i + 1];
        if (next !== undefined && /^[0-9a-fA-F]{2}$/u.test(dn.slice(i + 1, i + 3))) {
          bytes.push(Number.parseInt(dn.slice(i + 1, i + 3), 16));
          i += 3;
        } else if (next !== undefined && specials.has(next)) {
          bytes.push(next.charCodeAt(0));
          i += 2;
        } else {
          throw new Error(`bad escape at ${i}`);
        }
        continue;
      }
      if (char === '"' || char === ';' || char === '<' || char === '>' || char === '\u0000') throw new Error(`raw ${JSON.stringify(char)} at ${i}`);
      if (i === start && (char === ' ' || char === '#')) throw new Error(`raw leading ${JSON.stringify(char)}`);
      const unit = String.fromCodePoint(dn.codePointAt(i)!);
      bytes.push(...Buffer.from(unit, 'utf8'));
      lastRawSpace = char === ' ';
      i += unit.length;
    }
    if (lastRawSpace) throw new Error('raw trailing space');
    rdn.push({ type, value: decoder.decode(Buffer.from(bytes)) });
    if (dn[i] === '+') {
      i += 1;
      continue;
    }
    rdns.push(rdn);
    rdn = [];
    if (dn[i] === ',') {
      i += 1;
      if (i === dn.length) throw new Error('trailing comma');
    }
  }
  if (rdn.length > 0) rdns.push(rdn);
  return rdns;
}

/** Narrows a parsed ldapts filter, failing the test when it has another class. */
function as<T extends Filter>(filter: Filter | undefined, type: abstract new (...args: never[]) => T, what: string): T {
  if (!(filter instanceof type)) throw new Error(`${what}: expected ${type.name}, got ${filter?.constructor.name ?? 'nothing'}`);
  return filter;
}

const show = (value: string): string => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);

describe('escapeFilterValue (RFC 4515)', () => {
  it(`has a corpus of at least 30 injection payloads (${corpus.length})`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  it('leaves no metacharacter or control character unescaped, in either mode', () => {
    for (const payload of corpus) {
      for (const nonAscii of ['hex', 'utf8'] as const) {
        const escaped = escapeFilterValue(payload, { nonAscii });
        // eslint-disable-next-line no-control-regex -- the control characters are what is tested for
        expect(escaped, show(payload)).not.toMatch(/[*()\u0000-\u001f\u007f]/u);
        // Every backslash starts a hex pair.
        expect(escaped.replace(/\\[0-9a-f]{2}/gu, ''), show(payload)).not.toContain('\\');
        if (nonAscii === 'hex') expect(escaped, show(payload)).toMatch(/^[\u0020-\u007e]*$/u);
      }
    }
  });

  it('round-trips every payload through an RFC 4515 unescaper, byte for byte', () => {
    for (const payload of corpus) {
      for (const nonAscii of ['hex', 'utf8'] as const) {
        expect(unescapeFilterValue(escapeFilterValue(payload, { nonAscii })).equals(Buffer.from(payload, 'utf8')), show(payload)).toBe(true);
      }
    }
  });

  it('escapes exactly the RFC 4515 set, lower-case hex, and UTF-8 bytes in hex mode', () => {
    expect(escapeFilterValue('*()\\\u0000')).toBe('\\2a\\28\\29\\5c\\00');
    expect(escapeFilterValue('alice')).toBe('alice');
    expect(escapeFilterValue('a b=c,d;e')).toBe('a b=c,d;e');
    expect(escapeFilterValue('Lučić')).toBe('Lu\\c4\\8di\\c4\\87'); // RFC 4515 section 4's example value
    expect(escapeFilterValue('Lučić', { nonAscii: 'utf8' })).toBe('Lučić');
    expect(escapeFilterValue('\n\r\t\u007f')).toBe('\\0a\\0d\\09\\7f');
    expect(escapeFilterValue('🔑')).toBe('\\f0\\9f\\94\\91');
  });

  it('turns a lone surrogate into U+FFFD, never into syntax', () => {
    expect(escapeFilterValue('a\ud800b')).toBe('a\\ef\\bf\\bdb');
    expect(escapeFilterValue('\udc00', { nonAscii: 'utf8' })).toBe('\ufffd');
  });

  it('gives ldapts a filter that is one equality match on the payload (utf8 mode)', () => {
    for (const payload of corpus) {
      const filter = as(FilterParser.parseString(`(uid=${escapeFilterValue(payload, { nonAscii: 'utf8' })})`), EqualityFilter, show(payload));
      expect(filter.attribute).toBe('uid');
      expect(filter.value, show(payload)).toBe(payload);
    }
  });

  it('documents the ldapts pitfall: its string parser reads hex-mode UTF-8 bytes as Latin-1', () => {
    const filter = as(FilterParser.parseString(`(uid=${escapeFilterValue('zoë')})`), EqualityFilter, 'zoë');
    expect(filter.value).toBe(Buffer.from('zoë', 'utf8').toString('latin1'));
    expect(filter.value).not.toBe('zoë');
  });

  it('holds for arbitrary strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.constantFrom('hex' as const, 'utf8' as const), (value, nonAscii) => {
        const escaped = escapeFilterValue(value, { nonAscii });
        // eslint-disable-next-line no-control-regex -- NUL is what is tested for
        expect(escaped).not.toMatch(/[*()\u0000]/u);
        expect(unescapeFilterValue(escaped).equals(Buffer.from(value, 'utf8'))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('escapeDnValue (RFC 4514)', () => {
  it('parses back to exactly one RDN whose single value is the payload', () => {
    for (const payload of corpus) {
      const dn = `uid=${escapeDnValue(payload)},ou=people,dc=example,dc=org`;
      const rdns = parseDn(dn);
      expect(rdns.length, show(payload)).toBe(4);
      expect(rdns[0], show(payload)).toEqual([{ type: 'uid', value: payload }]);
      expect(rdns.slice(1)).toEqual([[{ type: 'ou', value: 'people' }], [{ type: 'dc', value: 'example' }], [{ type: 'dc', value: 'org' }]]);
    }
  });

  it('escapes the specials, leading # and spaces, the trailing space, NUL and controls', () => {
    expect(escapeDnValue(',+"\\<>;=')).toBe('\\,\\+\\"\\\\\\<\\>\\;\\=');
    expect(escapeDnValue('#x')).toBe('\\#x');
    expect(escapeDnValue('a#b')).toBe('a#b');
    expect(escapeDnValue(' a b ')).toBe('\\ a b\\ ');
    expect(escapeDnValue(' ')).toBe('\\ ');
    expect(escapeDnValue('   ')).toBe('\\  \\ ');
    expect(escapeDnValue('a\u0000b')).toBe('a\\00b');
    expect(escapeDnValue('\n\u007f\u0085')).toBe('\\0a\\7f\\c2\\85');
    expect(escapeDnValue('zoë 日本')).toBe('zoë 日本');
    expect(escapeDnValue('')).toBe('');
  });

  it('holds for arbitrary strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (value) => {
        const rdns = parseDn(`cn=${escapeDnValue(value)},dc=x`);
        expect(rdns).toEqual([[{ type: 'cn', value }], [{ type: 'dc', value: 'x' }]]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fillTemplate', () => {
  it('escapes for a DN template', () => {
    expect(fillTemplate('uid={username},ou=people,dc=example,dc=org', 'a,b', 'dn')).toBe('uid=a\\,b,ou=people,dc=example,dc=org');
  });

  it('escapes for a filter template, at every placeholder, and ldapts reads one AND of two equalities', () => {
    for (const payload of corpus) {
      const filter = fillTemplate('(&(objectClass=person)(|(uid={username})(mail={username})))', payload, 'filter');
      const parsed = as(FilterParser.parseString(filter), AndFilter, show(payload));
      expect(parsed.filters).toHaveLength(2);
      const [objectClass, or] = parsed.filters;
      expect(as(objectClass, EqualityFilter, 'objectClass').value).toBe('person');
      const alternatives = as(or, OrFilter, show(payload)).filters.map((f) => as(f, EqualityFilter, show(payload)));
      expect(alternatives.map((f) => [f.attribute, f.value])).toEqual([
        ['uid', payload],
        ['mail', payload],
      ]);
    }
  });

  it('writes non-ASCII raw in filters by default, so ldapts sends the UTF-8 the directory holds', () => {
    expect(fillTemplate('(uid={username})', 'zoë*', 'filter')).toBe('(uid=zoë\\2a)');
    expect(fillTemplate('(uid={username})', 'zoë', 'filter', { nonAscii: 'hex' })).toBe('(uid=zo\\c3\\ab)');
    const filter = as(FilterParser.parseString(fillTemplate('(uid={username})', 'zoë', 'filter')), EqualityFilter, 'zoë');
    expect(filter.value).toBe('zoë');
  });

  it('keeps $ patterns in a username literal', () => {
    expect(fillTemplate('(uid={username})', '$&$\'$`', 'filter')).toBe('(uid=$&$\'$`)');
    expect(fillTemplate('cn={username},dc=x', '$&', 'dn')).toBe('cn=$&,dc=x');
  });

  it('refuses a template without {username} with a typed config error', () => {
    for (const kind of ['dn', 'filter'] as const) {
      let caught: unknown;
      try {
        fillTemplate('uid=admin,dc=example,dc=org', 'alice', kind);
      } catch (error) {
        caught = error;
      }
      expect(isLegacyIdpError(caught, 'ERR_LEGACY_IDP_CONFIG_INVALID')).toBe(true);
    }
  });

  it('does not re-expand a {username} inside the username', () => {
    expect(fillTemplate('(uid={username})', '{username}', 'filter')).toBe('(uid={username})');
  });
});
