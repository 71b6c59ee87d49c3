import { LegacyIdpError } from '../../../core/errors.js';
import { decodeUtf8, fileBytes, fileFormatError, recordLimit, tooLarge, type RecordFileInput, type RecordReaderOptions } from './input.js';

/**
 * CSV as RFC 4180 writes it: fields separated by a delimiter, records by CRLF (LF and a lone CR are read as
 * well), a field in double quotes may hold delimiters, line ends and doubled quotes (`""` is one `"`).
 * The reader works on bytes (every byte that shapes CSV is ASCII, so none can fall inside a multi-byte
 * UTF-8 character), holds one record at a time, and decodes each field into a fresh string.
 *
 * Lenient where exports commonly are: a `"` inside an unquoted field is kept as it is, and an empty line
 * is skipped. Strict where a guess would load the wrong data: a row with more or fewer fields than the
 * header, text after a closing quote, a quote after blanks at the start of a field (`1, "alice"`: read as
 * written, the quotes would be part of the value), a row repeating the header (two exports joined, or
 * `header` given for a file that has its own header row: the header would load as a user), and a quote left
 * open at the end of the file are errors.
 */

export interface CsvReaderOptions extends RecordReaderOptions {
  /** One ASCII character; default `,`. `;` (European Excel) and tab are common. */
  delimiter?: string;
  /**
   * `true` (default): the first row names the fields. An array: the file has no header row and these are
   * the field names, in column order. Columns whose name is empty are read and dropped.
   */
  header?: true | readonly string[];
  /**
   * Called once with the column names (empty ones left out) before the first record: after the header row
   * is read, or at the start when `header` gives them. What it throws stops the read, so a caller can
   * refuse a file whose columns are not the ones it needs before any record is read.
   */
  onHeader?: (names: readonly string[]) => void;
}

/** A CSV record: field name -> text, `''` for an empty field. */
export type CsvRecord = Record<string, string>;

const label = 'CSV';
const lf = 0x0a;
const cr = 0x0d;
const quote = 0x22;

/** Where the reader stands inside a record. */
const fieldStart = 0;
const unquoted = 1;
const quoted = 2;
/** A `"` inside a quoted field: a second `"` makes it a literal quote, anything else ends the field. */
const quoteInQuoted = 3;
/** A CR ended a record; an LF right after it belongs to the same line end. */
const afterCr = 4;
/** An unquoted field that holds only spaces and tabs so far: a `"` now would be an opening quote written late. */
const leadingBlanks = 5;

const space = 0x20;
const tab = 0x09;

function checkDelimiter(delimiter: string, where: string): number {
  const code = delimiter.length === 1 ? delimiter.charCodeAt(0) : -1;
  if (code < 0 || code >= 0x80 || code === quote || code === lf || code === cr) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${where}: the delimiter must be one ASCII character other than a quote or a line end`);
  }
  return code;
}

export async function* readCsv(input: RecordFileInput, options: CsvReaderOptions = {}): AsyncGenerator<CsvRecord> {
  const limit = recordLimit(options, 'readCsv');
  const delimiter = checkDelimiter(options.delimiter ?? ',', 'readCsv');
  const metrics = options.metrics;
  let names: readonly string[] | undefined = Array.isArray(options.header) ? [...(options.header as readonly string[])] : undefined;
  if (names !== undefined) checkNames(names, 0);
  const onHeader = options.onHeader;
  if (names !== undefined && onHeader) onHeader(names.filter((name) => name !== ''));

  // The record being read: field contents (quotes removed) one after another in `content`, each field's
  // end offset in `ends`. `content` grows by doubling up to the record limit.
  let content = Buffer.allocUnsafe(Math.min(4096, limit));
  let length = 0;
  let ends: number[] = [];
  /** Bytes of the file the record has used so far (quotes and delimiters included). */
  let raw = 0;
  let state = fieldStart;
  let line = 1;
  let recordLine = 1;
  let record = 0;

  const append = (byte: number): void => {
    if (length === content.length) {
      const grown = Buffer.allocUnsafe(Math.min(content.length * 2, limit));
      content.copy(grown, 0, 0, length);
      content = grown;
    }
    content[length++] = byte;
  };

  /** The finished record as field texts, or undefined for an empty line. */
  const finishRecord = (): string[] | undefined => {
    ends.push(length);
    const blank = raw === 0;
    const fields: string[] = [];
    if (!blank) {
      const number = names === undefined ? undefined : record + 1;
      let start = 0;
      for (const end of ends) {
        fields.push(decodeUtf8(content.subarray(start, end), label, recordLine, number));
        start = end;
      }
    }
    if (metrics && content.length > metrics.peakBufferedBytes) metrics.peakBufferedBytes = content.length;
    length = 0;
    ends = [];
    raw = 0;
    return blank ? undefined : fields;
  };

  /** Turns a record's fields into a CsvRecord, or takes them as the header. */
  const accept = (fields: string[]): CsvRecord | undefined => {
    if (names === undefined) {
      names = fields;
      checkNames(fields, recordLine);
      if (onHeader) onHeader(fields.filter((name) => name !== ''));
      return undefined;
    }
    record += 1;
    if (fields.length !== names.length) {
      throw fileFormatError(label, recordLine, record, `has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${names.length}`);
    }
    const header = names;
    if (fields.every((field, index) => field === header[index])) {
      throw fileFormatError(
        label,
        recordLine,
        record,
        Array.isArray(options.header)
          ? 'repeats the column names of csv.header: the file has its own header row, so leave csv.header out'
          : 'repeats the header row (two exports joined into one file?): remove the repeated header',
      );
    }
    const entries: [string, string][] = [];
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      if (name !== '') entries.push([name, fields[i] as string]);
    }
    // fromEntries defines own properties, so a column named __proto__ is a field like any other.
    return Object.fromEntries(entries);
  };

  for await (const chunk of fileBytes(input, label)) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (state === afterCr) {
        state = fieldStart;
        if (byte === lf) {
          line += 1;
          recordLine = line;
          continue;
        }
        // A lone CR (classic Mac line end) was the whole line end.
        line += 1;
        recordLine = line;
      }
      if (state === quoted) {
        if (byte === lf) line += 1;
        raw += 1;
        if (raw > limit) throw tooLarge(label, recordLine, record + 1, limit);
        if (byte === quote) state = quoteInQuoted;
        else append(byte);
        continue;
      }
      if (byte === lf || byte === cr) {
        if (state === quoteInQuoted || state === unquoted || state === fieldStart || state === leadingBlanks) {
          const fields = finishRecord();
          const value = fields === undefined ? undefined : accept(fields);
          const valueLine = recordLine;
          state = fieldStart;
          if (byte === cr) state = afterCr;
          else {
            line += 1;
            recordLine = line;
          }
          if (value !== undefined) {
            if (metrics) {
              metrics.records += 1;
              metrics.recordLine = valueLine;
            }
            yield value;
          }
        }
        continue;
      }
      raw += 1;
      if (raw > limit) throw tooLarge(label, recordLine, record + 1, limit);
      if (byte === delimiter) {
        if (state === quoteInQuoted || state === unquoted || state === fieldStart || state === leadingBlanks) {
          // One field too many is enough to refuse the row: a row of millions of delimiters would otherwise
          // keep an offset and decode a string for each before being compared with the header.
          if (names !== undefined && ends.length + 1 >= names.length) {
            throw fileFormatError(label, recordLine, record + 1, `has more than ${names.length} field${names.length === 1 ? '' : 's'}, the header has ${names.length}`);
          }
          ends.push(length);
          state = fieldStart;
        }
        continue;
      }
      switch (state) {
        case fieldStart:
          if (byte === quote) state = quoted;
          else {
            append(byte);
            state = byte === space || byte === tab ? leadingBlanks : unquoted;
          }
          break;
        case unquoted:
          append(byte);
          break;
        case leadingBlanks:
          if (byte === quote) {
            // `a, "b"` (a space after the delimiter, as people and some writers put it): RFC 4180 makes it an
            // unquoted field holding the quotes, so `"alice"` would load as a username with quotes in it.
            throw fileFormatError(label, recordLine, names === undefined ? undefined : record + 1, 'a quote after blanks at the start of a field: remove the blanks before the opening quote');
          }
          append(byte);
          if (byte !== space && byte !== tab) state = unquoted;
          break;
        case quoteInQuoted:
          if (byte !== quote) throw fileFormatError(label, line, names === undefined ? undefined : record + 1, 'unexpected text after the closing quote of a field');
          append(quote);
          state = quoted;
          break;
      }
    }
  }
  if (state === quoted) {
    throw fileFormatError(label, recordLine, names === undefined ? undefined : record + 1, 'a quoted field is not closed at the end of the file (truncated file?)');
  }
  if (state !== afterCr) {
    const fields = finishRecord();
    const value = fields === undefined ? undefined : accept(fields);
    if (value !== undefined) {
      if (metrics) {
        metrics.records += 1;
        metrics.recordLine = recordLine;
      }
      yield value;
    }
  }
}

function checkNames(names: readonly string[], line: number): void {
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    if (name === '') return;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      // Columns by number only: a file without a header row would otherwise quote its first record here.
      const problem = `the header names columns ${earlier + 1} and ${index + 1} alike`;
      throw line === 0 ? new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `readCsv: ${problem}`) : fileFormatError(label, line, undefined, problem);
    }
    seen.set(name, index);
  });
}
