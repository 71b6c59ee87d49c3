import {
  decodeUtf8,
  fileBytes,
  fileFormatError,
  isJsonObject,
  parseJsonRecord,
  recordLimit,
  tooLarge,
  type FileRecord,
  type RecordFileInput,
  type RecordReaderOptions,
} from './input.js';

/**
 * JSON Lines (NDJSON): one JSON object per line, LF or CRLF, blank lines skipped. Auth0's export jobs and
 * password-hash exports use it. The reader holds one unfinished line at a time, so memory is bounded by the
 * record limit whatever the file's size.
 */

const label = 'JSONL';

/** A line holding only spaces and tabs (and the CR of CRLF) is no record. */
function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

export async function* readJsonLines(input: RecordFileInput, options: RecordReaderOptions = {}): AsyncGenerator<FileRecord> {
  const limit = recordLimit(options, 'readJsonLines');
  const metrics = options.metrics;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  let record = 0;

  const finishLine = (bytes: Buffer): FileRecord | undefined => {
    line += 1;
    if (isBlank(bytes)) return undefined;
    record += 1;
    const text = decodeUtf8(bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes, label, line, record);
    const value = parseJsonRecord(text, label, line, record);
    if (!isJsonObject(value)) throw fileFormatError(label, line, record, 'is not a JSON object');
    return value;
  };

  for await (const chunk of fileBytes(input, label)) {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      // Checked before anything is kept, so an endless line costs at most one limit of memory. The +1 lets
      // the CR of a CRLF line end through.
      if (pendingBytes + (end - start) > limit + 1) throw tooLarge(label, line + 1, record + 1, limit);
      if (newline === -1) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (metrics && pendingBytes > metrics.peakBufferedBytes) metrics.peakBufferedBytes = pendingBytes;
        break;
      }
      const bytes = pending.length === 0 ? chunk.subarray(start, newline) : Buffer.concat([...pending, chunk.subarray(start, newline)]);
      if (metrics && bytes.length > metrics.peakBufferedBytes) metrics.peakBufferedBytes = bytes.length;
      pending = [];
      pendingBytes = 0;
      start = newline + 1;
      const value = finishLine(bytes);
      if (value !== undefined) {
        if (metrics) {
          metrics.records += 1;
          metrics.recordLine = line;
        }
        yield value;
      }
    }
  }
  if (pendingBytes > 0) {
    // The last line has no line end: a file cut off mid-record fails here as invalid JSON.
    const value = finishLine(Buffer.concat(pending));
    if (value !== undefined) {
      if (metrics) {
        metrics.records += 1;
        metrics.recordLine = line;
      }
      yield value;
    }
  }
}
