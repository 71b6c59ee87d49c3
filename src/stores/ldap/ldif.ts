import { LegacyIdpError } from '../../core/errors.js';

/**
 * A streaming RFC 2849 LDIF reader for directory exports (slapcat, ldapsearch -L, 389-DS db2ldif, ldifde).
 * It holds one record at a time, so memory stays flat in the number of records, and it is bounded: a line or
 * a record above its limit stops the parse with a typed error instead of growing a buffer. Error messages
 * quote line numbers, never content: an export holds password hashes.
 */

export interface LdifEntry {
  dn: string;
  /**
   * Values by attribute description in lower case (`cn`, `userpassword`, `cn;lang-de`: options stay part of
   * the key, since a tagged value is not a value of the plain attribute). A value is a string when it was
   * plain text or base64 of valid UTF-8, and a Buffer when base64 of anything else (objectGUID, jpegPhoto).
   */
  attributes: Map<string, (string | Buffer)[]>;
  /** Line number (1-based) where the record starts. */
  line: number;
}

export interface LdifSkippedRecord {
  dn: string;
  /** `delete`, `modify`, `modrdn` or `moddn`: change records that describe no entry. */
  changetype: string;
  line: number;
}

export interface LdifSummary {
  entries: number;
  skippedChangeRecords: number;
}

export interface LdifParseOptions {
  /** Largest record, in bytes of the file (folded lines and comments included). Default 1 MiB. */
  maxRecordBytes?: number;
  /** Longest physical line in bytes. Default 64 KiB. */
  maxLineBytes?: number;
  /** Told about each change record that is skipped (anything but `changetype: add`). */
  onSkippedRecord?: (record: LdifSkippedRecord) => void;
}

/** A whole file as text or bytes, or a stream of chunks (a Node Readable, with or without an encoding). */
export type LdifInput = string | Uint8Array | AsyncIterable<string | Uint8Array>;

export const defaultMaxRecordBytes = 1024 * 1024;
export const defaultMaxLineBytes = 64 * 1024;

const invalid = (line: number, problem: string): LegacyIdpError =>
  new LegacyIdpError('ERR_LEGACY_IDP_LDIF_INVALID', `LDIF line ${line}: ${problem}`);

interface PhysicalLine {
  /** The line's bytes without its line end. */
  bytes: Buffer;
  number: number;
}

function toBuffer(chunk: string | Uint8Array): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* chunksOf(input: LdifInput): AsyncGenerator<Buffer> {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    yield toBuffer(input);
    return;
  }
  for await (const chunk of input) yield toBuffer(chunk);
}

const utf8Bom = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Splits bytes into lines (LF or CRLF). Lines stay bytes until unfolded: tools fold by bytes, so a fold can
 * cut a multi-byte character in two, and a chunk boundary can too.
 */
async function* physicalLines(input: LdifInput, maxLineBytes: number): AsyncGenerator<PhysicalLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let number = 0;
  const finish = (): PhysicalLine => {
    number += 1;
    let bytes = Buffer.concat(parts, size);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (number === 1 && bytes.subarray(0, 3).equals(utf8Bom)) bytes = bytes.subarray(3);
    parts = [];
    size = 0;
    return { bytes, number };
  };
  for await (const chunk of chunksOf(input)) {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      size += end - start;
      // +1: the CR of a CRLF line end is not part of the line. Checked before the part is kept, so an
      // endless line costs at most one limit's worth of memory.
      if (size > maxLineBytes + 1) throw invalid(number + 1, `line longer than ${maxLineBytes} bytes`);
      if (end > start) parts.push(chunk.subarray(start, end));
      if (newline === -1) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (size > 0) yield finish();
}

interface LogicalLine {
  text: string;
  number: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeLine(bytes: Buffer, number: number): string {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_LDIF_INVALID', `LDIF line ${number}: not valid UTF-8 (binary values must be base64, "attr:: ...")`, {
      cause: error,
    });
  }
}

/** RFC 4512 attribute description: a name or a numeric OID, then `;option`s. */
const attributeDescription = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/u;
const base64Text = /^[A-Za-z0-9+/]*={0,2}$/u;

type LineValue = { kind: 'text'; value: string } | { kind: 'base64'; value: Buffer };

function parseLine(line: LogicalLine): { description: string; value: LineValue } {
  const colon = line.text.indexOf(':');
  if (colon <= 0) throw invalid(line.number, 'expected "attribute: value"');
  const description = line.text.slice(0, colon);
  if (!attributeDescription.test(description)) throw invalid(line.number, 'invalid attribute description');
  const rest = line.text.slice(colon + 1);
  if (rest.startsWith(':')) {
    const encoded = rest.slice(1).trim();
    if (encoded.length % 4 !== 0 || !base64Text.test(encoded)) throw invalid(line.number, 'invalid base64 value');
    return { description, value: { kind: 'base64', value: Buffer.from(encoded, 'base64') } };
  }
  if (rest.startsWith('<')) {
    // An export that makes the reader open a file or fetch a URL is a way to exfiltrate or hang: never follow it.
    throw invalid(line.number, 'values by URL ("attr:< ...") are not read');
  }
  return { description, value: { kind: 'text', value: rest.replace(/^ +/u, '') } };
}

function asValue(value: LineValue): string | Buffer {
  if (value.kind === 'text') return value.value;
  try {
    return utf8.decode(value.value);
  } catch {
    return value.value;
  }
}

type ParsedRecord = { kind: 'entry'; entry: LdifEntry } | { kind: 'skipped'; record: LdifSkippedRecord } | { kind: 'empty' };

const skippedChangeTypes = new Set(['delete', 'modify', 'modrdn', 'moddn']);

function parseRecord(lines: LogicalLine[], first: boolean): ParsedRecord {
  let index = 0;
  const head = lines[0];
  if (first && head && /^version:/iu.test(head.text)) {
    const { value } = parseLine(head);
    if (value.kind !== 'text' || value.value.trim() !== '1') throw invalid(head.number, 'unsupported LDIF version (only "version: 1")');
    index = 1;
  }
  const dnLine = lines[index];
  if (!dnLine) return { kind: 'empty' };
  const dnParsed = parseLine(dnLine);
  if (dnParsed.description.toLowerCase() !== 'dn') throw invalid(dnLine.number, 'a record must start with "dn:"');
  const dnValue = asValue(dnParsed.value);
  if (typeof dnValue !== 'string') throw invalid(dnLine.number, 'the base64 DN is not valid UTF-8');
  index += 1;

  let changetype: string | undefined;
  for (; index < lines.length; index++) {
    const line = lines[index];
    if (!line) break;
    const { description, value } = parseLine(line);
    const type = description.toLowerCase();
    // Controls may precede the changetype of a change record (RFC 2849 "control:"); they change nothing here.
    if (type === 'control' && changetype === undefined) continue;
    if (type === 'changetype') {
      if (value.kind !== 'text') throw invalid(line.number, 'changetype must be plain text');
      changetype = value.value.trim().toLowerCase();
      index += 1;
    }
    break;
  }
  if (changetype !== undefined && changetype !== 'add') {
    if (!skippedChangeTypes.has(changetype)) throw invalid(lines[index - 1]?.number ?? dnLine.number, 'unknown changetype');
    return { kind: 'skipped', record: { dn: dnValue, changetype, line: dnLine.number } };
  }

  const attributes = new Map<string, (string | Buffer)[]>();
  for (; index < lines.length; index++) {
    const line = lines[index];
    if (!line) continue;
    const { description, value } = parseLine(line);
    const key = description.toLowerCase();
    // Two records run together (a separator line holding only spaces is a continuation, not a blank line).
    if (key === 'dn') throw invalid(line.number, 'a second "dn:" in one record (records must be separated by an empty line)');
    const values = attributes.get(key);
    if (values) values.push(asValue(value));
    else attributes.set(key, [asValue(value)]);
  }
  return { kind: 'entry', entry: { dn: dnValue, attributes, line: dnLine.number } };
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `parseLdif: ${name} must be a positive integer`, { path: name });
  return value;
}

/**
 * Yields the entries of an LDIF file or stream one at a time: content records, and change records with
 * `changetype: add`. Other change records are skipped and counted; the generator's return value has the counts.
 */
export async function* parseLdif(input: LdifInput, options: LdifParseOptions = {}): AsyncGenerator<LdifEntry, LdifSummary, undefined> {
  const maxRecordBytes = positiveInteger(options.maxRecordBytes, defaultMaxRecordBytes, 'maxRecordBytes');
  const maxLineBytes = positiveInteger(options.maxLineBytes, defaultMaxLineBytes, 'maxLineBytes');
  const summary: LdifSummary = { entries: 0, skippedChangeRecords: 0 };
  let lines: LogicalLine[] = [];
  let recordBytes = 0;
  let recordStart = 0;
  let first = true;
  /** The logical line being unfolded from physical lines; a comment's is dropped, never decoded. */
  let current: { parts: Buffer[]; number: number; comment: boolean } | undefined;

  const count = (line: PhysicalLine): void => {
    if (recordBytes === 0) recordStart = line.number;
    recordBytes += line.bytes.length + 1;
    if (recordBytes > maxRecordBytes) throw invalid(recordStart, `record larger than ${maxRecordBytes} bytes`);
  };
  const closeLine = (): void => {
    if (current && !current.comment) lines.push({ text: decodeLine(Buffer.concat(current.parts), current.number), number: current.number });
    current = undefined;
  };
  function* closeRecord(): Generator<LdifEntry> {
    closeLine();
    if (lines.length > 0) {
      const parsed = parseRecord(lines, first);
      first = false;
      if (parsed.kind === 'entry') {
        summary.entries += 1;
        yield parsed.entry;
      } else if (parsed.kind === 'skipped') {
        summary.skippedChangeRecords += 1;
        options.onSkippedRecord?.(parsed.record);
      }
    }
    lines = [];
    recordBytes = 0;
  }

  for await (const line of physicalLines(input, maxLineBytes)) {
    const { bytes } = line;
    if (bytes[0] === 0x20) {
      if (current) {
        count(line);
        if (!current.comment) current.parts.push(bytes.subarray(1));
        continue;
      }
      // Nothing to continue: only white space is tolerated here (editors leave it between records).
      if (bytes.some((byte) => byte !== 0x20 && byte !== 0x09)) throw invalid(line.number, 'continuation line with no line to continue');
      yield* closeRecord();
      continue;
    }
    closeLine();
    if (bytes.length === 0) {
      yield* closeRecord();
      continue;
    }
    count(line);
    current = { parts: [bytes], number: line.number, comment: bytes[0] === 0x23 };
  }
  yield* closeRecord();
  return summary;
}
