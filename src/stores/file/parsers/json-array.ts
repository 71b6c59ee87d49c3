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
 * A JSON array of objects, read element by element: `[{...}, {...}]`, or the array under one top-level key
 * of an object (`{"users": [...]}` from `firebase auth:export`, `{"userType": ..., "Users": [...]}` from the
 * B2C pre-migration sample). The reader splits the array itself, tracking strings, escapes and nesting, and
 * hands each element to JSON.parse, so it holds one element at a time and never the whole file.
 *
 * The other members of a wrapping object are skipped with only their strings and brackets matched; each
 * element is checked in full by JSON.parse.
 */

export interface JsonArrayReaderOptions extends RecordReaderOptions {
  /** The top-level key whose value is the array (`users`); absent when the file itself is the array. */
  key?: string;
  /**
   * Accept `//` and `/* *\/` comments between tokens, as Newtonsoft.Json does: the B2C sample's own
   * UsersData.json has them. Off by default, since JSON has no comments.
   */
  comments?: boolean;
}

const label = 'JSON';

// The bytes that shape JSON; all ASCII, so they never occur inside a multi-byte UTF-8 character.
const tab = 0x09;
const lf = 0x0a;
const cr = 0x0d;
const space = 0x20;
const quote = 0x22;
const star = 0x2a;
const comma = 0x2c;
const slash = 0x2f;
const colon = 0x3a;
const openBracket = 0x5b;
const backslash = 0x5c;
const closeBracket = 0x5d;
const openBrace = 0x7b;
const closeBrace = 0x7d;

type State =
  /** Before the top-level value. */
  | 'start'
  /** In the wrapping object, where a key (or its end) comes next. */
  | 'objectKey'
  /** Inside a key string. */
  | 'key'
  | 'colon'
  /** Where a member's value starts. */
  | 'memberValue'
  /** Inside an object or array member that is not the one holding the users. */
  | 'skip'
  /** Inside a number or literal member (`true`, `12`) that is skipped. */
  | 'skipScalar'
  | 'afterMember'
  /** After `[` or a `,` between elements: an element (or `]`) comes next. */
  | 'arrayOpen'
  /** Inside an element, collecting its bytes. */
  | 'element'
  | 'afterElement'
  /** After the top-level value: only white space (and comments) may follow. */
  | 'end';

// Where a comment stands (only with `comments: true`).
/** No comment. */
const noComment = 0;
/** A `/` was read; the next byte says which kind. */
const slashRead = 1;
const lineComment = 2;
const blockComment = 3;
/** A `*` inside a block comment: a `/` now ends it. */
const blockStar = 4;

const isSpace = (byte: number): boolean => byte === space || byte === lf || byte === cr || byte === tab;

export async function* readJsonArray(input: RecordFileInput, options: JsonArrayReaderOptions = {}): AsyncGenerator<FileRecord> {
  const limit = recordLimit(options, 'readJsonArray');
  const { key, metrics } = options;
  const allowComments = options.comments ?? false;

  let state: State = 'start';
  let comment: number = noComment;
  let inString = false;
  let escaped = false;
  let depth = 0;
  /** A `,` came last, so a closing bracket now would leave a trailing comma. */
  let afterComma = false;
  /** The key given was seen; its array was (or is being) read. */
  let found = false;
  /** The key just read is the one given. */
  let keyMatches = false;

  let line = 1;
  let record = 0;
  let elementLine = 0;
  // The element or key being collected: finished parts, the open part's start in this chunk (-1 while a
  // comment runs), and the bytes counted so far (comments included, so the limit bounds what is read).
  let parts: Buffer[] = [];
  let partStart = -1;
  let captured = 0;

  const fail = (problem: string, inRecord = false): never => {
    throw fileFormatError(label, line, inRecord ? record : undefined, problem);
  };
  const capturing = (): boolean => state === 'element' || state === 'key';
  const arrayDone = (): void => {
    state = key === undefined ? 'end' : 'afterMember';
  };
  const collected = (chunk: Buffer, end: number): Buffer => {
    if (partStart >= 0) parts.push(chunk.subarray(partStart, end));
    const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    parts = [];
    partStart = -1;
    captured = 0;
    return bytes;
  };

  for await (const chunk of fileBytes(input, label)) {
    partStart = capturing() && comment === noComment ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === lf) line += 1;
      if (capturing()) {
        captured += 1;
        if (metrics && captured > metrics.peakBufferedBytes) metrics.peakBufferedBytes = captured;
        if (captured > limit) {
          if (state === 'element') throw tooLarge(label, elementLine, record, limit);
          fail(`key longer than ${limit} bytes`);
        }
      }

      if (inString) {
        if (escaped) escaped = false;
        else if (byte === backslash) escaped = true;
        else if (byte === quote) {
          inString = false;
          if (state === 'key') {
            const raw = collected(chunk, i);
            let name: unknown;
            try {
              name = JSON.parse(`"${decodeUtf8(raw, label, line, undefined)}"`);
            } catch {
              fail('a key of the top-level object is not a valid JSON string');
            }
            keyMatches = name === key;
            state = 'colon';
          } else if (state === 'skip' && depth === 0) {
            state = 'afterMember';
          }
        }
        continue;
      }

      if (comment !== noComment) {
        switch (comment) {
          case slashRead:
            if (byte === slash) comment = lineComment;
            else if (byte === star) comment = blockComment;
            else fail("unexpected '/' (not a comment)", state === 'element');
            break;
          case lineComment:
            if (byte === lf) {
              comment = noComment;
              // The line end stays in the element, so JSON.parse positions still count lines.
              if (capturing()) partStart = i;
            }
            break;
          case blockComment:
            if (byte === star) comment = blockStar;
            break;
          case blockStar:
            if (byte === slash) {
              comment = noComment;
              if (capturing()) partStart = i + 1;
            } else if (byte !== star) comment = blockComment;
            break;
        }
        continue;
      }
      if (byte === slash && allowComments) {
        if (capturing() && partStart >= 0) parts.push(chunk.subarray(partStart, i));
        partStart = -1;
        comment = slashRead;
        continue;
      }

      dispatch: for (;;) {
        switch (state) {
          case 'start':
            if (isSpace(byte)) break;
            if (key === undefined) {
              if (byte === openBracket) {
                state = 'arrayOpen';
                afterComma = false;
              } else if (byte === openBrace) fail('the top level is an object, not an array: give the key that holds the users array (jsonKey)');
              else fail('expected a JSON array at the top level');
            } else if (byte === openBrace) {
              state = 'objectKey';
              afterComma = false;
            } else if (byte === openBracket) fail(`the top level is an array, but the users were expected under the key "${key}" of an object`);
            else fail('expected a JSON object at the top level');
            break;
          case 'objectKey':
            if (isSpace(byte)) break;
            if (byte === quote) {
              state = 'key';
              inString = true;
              partStart = i + 1;
              captured = 0;
            } else if (byte === closeBrace && !afterComma) {
              if (!found) fail(`the top-level object has no key "${String(key)}"`);
              state = 'end';
            } else fail(afterComma ? 'expected a key after the comma' : 'expected a key or the end of the object');
            break;
          case 'colon':
            if (isSpace(byte)) break;
            if (byte !== colon) fail("expected ':' after a key");
            state = 'memberValue';
            break;
          case 'memberValue':
            if (isSpace(byte)) break;
            if (keyMatches) {
              if (found) fail(`the key "${String(key)}" appears twice`);
              if (byte !== openBracket) fail(`the value of "${String(key)}" is not an array`);
              found = true;
              state = 'arrayOpen';
              afterComma = false;
            } else if (byte === quote) {
              depth = 0;
              inString = true;
              state = 'skip';
            } else if (byte === openBrace || byte === openBracket) {
              depth = 1;
              state = 'skip';
            } else if (byte === comma || byte === closeBrace || byte === closeBracket) fail('expected a value after a key');
            else state = 'skipScalar';
            break;
          case 'skip':
            if (byte === quote) inString = true;
            else if (byte === openBrace || byte === openBracket) depth += 1;
            else if (byte === closeBrace || byte === closeBracket) {
              depth -= 1;
              if (depth === 0) state = 'afterMember';
            }
            break;
          case 'skipScalar':
            if (isSpace(byte) || byte === comma || byte === closeBrace || byte === closeBracket) {
              state = 'afterMember';
              continue dispatch;
            }
            break;
          case 'afterMember':
            if (isSpace(byte)) break;
            if (byte === comma) {
              state = 'objectKey';
              afterComma = true;
            } else if (byte === closeBrace) {
              if (!found) fail(`the top-level object has no key "${String(key)}"`);
              state = 'end';
            } else fail("expected ',' or '}' after a member of the top-level object");
            break;
          case 'arrayOpen':
            if (isSpace(byte)) break;
            if (byte === openBrace) {
              record += 1;
              elementLine = line;
              state = 'element';
              depth = 1;
              parts = [];
              partStart = i;
              captured = 1;
            } else if (byte === closeBracket && !afterComma) arrayDone();
            else if (byte === closeBracket) fail('trailing comma before the end of the array');
            else {
              record += 1;
              fail('is not a JSON object', true);
            }
            break;
          case 'element':
            if (byte === quote) inString = true;
            else if (byte === openBrace || byte === openBracket) depth += 1;
            else if (byte === closeBrace || byte === closeBracket) {
              depth -= 1;
              if (depth === 0) {
                const text = decodeUtf8(collected(chunk, i + 1), label, elementLine, record);
                const value = parseJsonRecord(text, label, elementLine, record);
                if (!isJsonObject(value)) throw fileFormatError(label, elementLine, record, 'is not a JSON object');
                state = 'afterElement';
                if (metrics) {
                  metrics.records += 1;
                  metrics.recordLine = elementLine;
                }
                yield value;
              }
            }
            break;
          case 'afterElement':
            if (isSpace(byte)) break;
            if (byte === comma) {
              state = 'arrayOpen';
              afterComma = true;
            } else if (byte === closeBracket) arrayDone();
            else fail("expected ',' or ']' after a record", true);
            break;
          case 'end':
            if (!isSpace(byte)) fail('unexpected content after the end of the JSON value');
            break;
        }
        break;
      }
    }
    if (capturing() && partStart >= 0) parts.push(chunk.subarray(partStart));
  }

  if (state === 'start') fail('the file is empty');
  if (state !== 'end' || (comment !== noComment && comment !== lineComment)) {
    fail(state === 'element' ? `unexpected end of file inside the record that starts at line ${elementLine} (truncated file?)` : 'unexpected end of file (truncated file?)', state === 'element');
  }
}
