import type { FileHandle } from 'node:fs/promises';
import { LegacyIdpError } from '../../../core/errors.js';

/**
 * What the three export readers share: where the bytes come from, the size limit, and errors that quote a
 * line and a record number but never a value (an export holds password hashes, sometimes clear passwords).
 */

/** An open file (read from its current position, not closed), or a stream of chunks such as an fs ReadStream. */
export type RecordFileInput = FileHandle | AsyncIterable<Uint8Array | string>;

/** One parsed record: field name -> value. */
export type FileRecord = Record<string, unknown>;

/** Counters a reader keeps up to date while it runs; pass an object to watch memory and progress. */
export interface RecordReaderMetrics {
  /** Records yielded so far. */
  records: number;
  /** The most bytes the reader held at once for an unfinished record (its memory bound, chunks aside). */
  peakBufferedBytes: number;
  /** The line of the file on which the record yielded last starts: for messages about a record's content. */
  recordLine?: number;
}

export interface RecordReaderOptions {
  /** Largest record in bytes of the file (a JSONL line, a JSON array element, a CSV row). Default 1 MiB. */
  maxRecordBytes?: number;
  metrics?: RecordReaderMetrics;
}

export const defaultMaxRecordBytes = 1024 * 1024;
/** Above this a record limit is a mistake, not a wish: one record is one user. */
export const maxRecordBytesCeiling = 64 * 1024 * 1024;

export function recordLimit(options: RecordReaderOptions, label: string): number {
  const limit = options.maxRecordBytes ?? defaultMaxRecordBytes;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxRecordBytesCeiling) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${label}: maxRecordBytes must be an integer from 1 to ${maxRecordBytesCeiling}`);
  }
  return limit;
}

/** A malformed file. `record` is the 1-based number of the record the problem is in, when there is one. */
export function fileFormatError(label: string, line: number, record: number | undefined, problem: string): LegacyIdpError {
  const where = record === undefined ? `line ${line}` : `line ${line} (record ${record})`;
  return new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `${label} ${where}: ${problem}`);
}

export function tooLarge(label: string, line: number, record: number, limit: number): LegacyIdpError {
  return fileFormatError(label, line, record, `record larger than ${limit} bytes (maxRecordBytes)`);
}

function isFileHandle(input: RecordFileInput): input is FileHandle {
  return typeof (input as Partial<FileHandle>).createReadStream === 'function' && typeof (input as Partial<FileHandle>).fd === 'number';
}

const toBuffer = (chunk: Uint8Array | string): Buffer =>
  typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

/**
 * The file's bytes, chunk by chunk, without a leading UTF-8 byte order mark. A UTF-16 mark is refused: the
 * readers work on UTF-8 bytes, and reading UTF-16 as UTF-8 would turn every name into noise.
 */
export async function* fileBytes(input: RecordFileInput, label: string): AsyncGenerator<Buffer> {
  const source = isFileHandle(input) ? handleChunks(input) : input;
  // The first three bytes decide about the BOM; a source may deliver them in separate chunks.
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const raw of source) {
    let chunk = toBuffer(raw);
    if (head !== undefined) {
      head = Buffer.concat([head, chunk]);
      if (head.length < 3 && !(head.length === 2 && isUtf16Mark(head))) continue;
      if (isUtf16Mark(head)) throw fileFormatError(label, 1, undefined, 'the file is UTF-16; save it as UTF-8');
      chunk = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
      head = undefined;
    }
    if (chunk.length > 0) yield chunk;
  }
  if (head !== undefined && head.length > 0) yield head;
}

const chunkBytes = 64 * 1024;

/**
 * Reads a handle from its current position. Not through `handle.createReadStream()`: destroying that
 * stream (which a reader stopping early must do) closes the handle, and the handle is the caller's.
 */
async function* handleChunks(handle: FileHandle): AsyncGenerator<Buffer> {
  for (;;) {
    // A fresh buffer each time: a record being collected may still point into the previous one.
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
    if (bytesRead === 0) return;
    yield buffer.subarray(0, bytesRead);
  }
}

const isUtf16Mark = (bytes: Buffer): boolean => (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Bytes to text, refusing invalid UTF-8 instead of replacing it: a Latin-1 export would otherwise load
 * with `zo\uFFFD` where `zoë` was, and that user could never sign in. The result is a fresh string, so
 * nothing kept from a record holds on to the chunk it came from.
 */
export function decodeUtf8(bytes: Uint8Array, label: string, line: number, record: number | undefined): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw fileFormatError(label, line, record, 'not valid UTF-8 (save the export as UTF-8)');
  }
}

/**
 * JSON.parse of one record. Its SyntaxError quotes the record's text, so only the position (turned into a
 * line and column of the file) is kept from it; the SyntaxError itself is not attached as the cause.
 */
export function parseJsonRecord(text: string, label: string, line: number, record: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /\bposition (\d+)/u.exec(error instanceof Error ? error.message : '')?.[1];
    if (position === undefined) throw fileFormatError(label, line, record, 'not valid JSON');
    const before = text.slice(0, Number(position));
    const newlines = before.split('\n').length - 1;
    const column = before.length - (before.lastIndexOf('\n') + 1) + 1;
    throw fileFormatError(label, line, record, `not valid JSON (at line ${line + newlines}, column ${column})`);
  }
}

export const isJsonObject = (value: unknown): value is FileRecord => typeof value === 'object' && value !== null && !Array.isArray(value);
