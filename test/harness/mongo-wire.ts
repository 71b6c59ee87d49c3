/**
 * MongoDB wire protocol framing for the in-repo test server (test/harness/mongo-server.ts).
 * Written from the protocol documentation: a 16-byte little-endian header (messageLength, requestID,
 * responseTo, opCode) followed by an opcode-specific body. Only what a driver talking to a standalone
 * server sends is decoded: OP_QUERY (the legacy first handshake) and OP_MSG (everything after).
 */
import { deserialize, serialize, type DeserializeOptions } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

const HEADER_BYTES = 16;
/** Advertised as maxMessageSizeBytes in hello; anything larger is a broken or hostile peer. */
export const MAX_MESSAGE_BYTES = 48_000_000;

const OP_MSG_CHECKSUM_PRESENT = 1 << 0;
const OP_MSG_MORE_TO_COME = 1 << 1;
/** Bits 0-15 are "must understand": a peer setting one we do not know expects behaviour we lack. */
const OP_MSG_REQUIRED_BITS = 0xffff;
const OP_MSG_KNOWN_REQUIRED_BITS = OP_MSG_CHECKSUM_PRESENT | OP_MSG_MORE_TO_COME;

const OP_REPLY_QUERY_FAILURE = 1 << 1;

/**
 * Keeps int64 values as `Long` (promoteLongs: false) so stored documents round-trip with their types;
 * int32 and double still become JS numbers, Binary/ObjectId/Date/RegExp keep their classes.
 */
export const BSON_DECODE_OPTIONS: DeserializeOptions = { promoteValues: true, promoteLongs: false, promoteBuffers: false, bsonRegExp: false };

export type WireDocument = Record<string, unknown>;

/** Raised for bytes that are not a valid message; the connection that sent them is dropped. */
export class WireProtocolError extends Error {
  override readonly name = 'WireProtocolError';
}

export interface WireRequest {
  readonly requestId: number;
  readonly opCode: typeof OP_QUERY | typeof OP_MSG;
  readonly database: string;
  /** The command document, with OP_MSG document sequences (kind 1) merged in as array fields. */
  readonly body: WireDocument;
  /** OP_MSG moreToCome: the client expects no reply (unacknowledged writes). */
  readonly moreToCome: boolean;
}

/** Splits a TCP byte stream into whole messages, however the chunks were cut. */
export class MessageFramer {
  #pending: Buffer = Buffer.alloc(0);

  /** Returns every message completed by `chunk`; throws WireProtocolError on an impossible length. */
  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const messages: Buffer[] = [];
    while (this.#pending.length >= 4) {
      const length = this.#pending.readInt32LE(0);
      if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) throw new WireProtocolError(`invalid message length ${length}`);
      if (this.#pending.length < length) break;
      messages.push(this.#pending.subarray(0, length));
      this.#pending = this.#pending.subarray(length);
    }
    return messages;
  }
}

export function readOpCode(message: Buffer): number {
  return message.readInt32LE(12);
}

export function readRequestId(message: Buffer): number {
  return message.readInt32LE(4);
}

function readCString(message: Buffer, offset: number, end: number): { value: string; next: number } {
  const terminator = message.indexOf(0, offset);
  if (terminator === -1 || terminator >= end) throw new WireProtocolError('unterminated cstring');
  return { value: message.toString('utf8', offset, terminator), next: terminator + 1 };
}

/** Decodes one BSON document starting at `offset`, checking it fits before `end`. */
function readDocument(message: Buffer, offset: number, end: number): { document: WireDocument; next: number } {
  if (offset + 5 > end) throw new WireProtocolError('truncated BSON document');
  const size = message.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new WireProtocolError(`BSON document size ${size} overruns the message`);
  try {
    return { document: deserialize(message.subarray(offset, offset + size), BSON_DECODE_OPTIONS), next: offset + size };
  } catch (error) {
    throw new WireProtocolError(`malformed BSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function decodeOpMsg(message: Buffer): WireRequest {
  const flags = message.readUInt32LE(HEADER_BYTES);
  const unknownRequired = flags & OP_MSG_REQUIRED_BITS & ~OP_MSG_KNOWN_REQUIRED_BITS;
  if (unknownRequired !== 0) throw new WireProtocolError(`unsupported required OP_MSG flag bits ${unknownRequired}`);
  // The CRC-32C trailer is not verified: loopback TCP already guarantees integrity, we only skip it.
  const end = message.length - ((flags & OP_MSG_CHECKSUM_PRESENT) !== 0 ? 4 : 0);
  let offset = HEADER_BYTES + 4;
  let body: WireDocument | undefined;
  const sequences = new Map<string, WireDocument[]>();
  while (offset < end) {
    const kind = message.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      if (body !== undefined) throw new WireProtocolError('OP_MSG with more than one body section');
      const read = readDocument(message, offset, end);
      body = read.document;
      offset = read.next;
    } else if (kind === 1) {
      if (offset + 4 > end) throw new WireProtocolError('truncated document sequence');
      const sectionEnd = offset + message.readInt32LE(offset);
      if (sectionEnd > end || sectionEnd < offset + 5) throw new WireProtocolError('document sequence size overruns the message');
      const identifier = readCString(message, offset + 4, sectionEnd);
      const documents: WireDocument[] = [];
      let cursor = identifier.next;
      while (cursor < sectionEnd) {
        const read = readDocument(message, cursor, sectionEnd);
        documents.push(read.document);
        cursor = read.next;
      }
      if (sequences.has(identifier.value)) throw new WireProtocolError(`duplicate document sequence ${identifier.value}`);
      sequences.set(identifier.value, documents);
      offset = sectionEnd;
    } else {
      throw new WireProtocolError(`unsupported OP_MSG section kind ${kind}`);
    }
  }
  if (body === undefined) throw new WireProtocolError('OP_MSG without a body section');
  for (const [identifier, documents] of sequences) {
    if (identifier in body) throw new WireProtocolError(`document sequence ${identifier} duplicates a body field`);
    body[identifier] = documents;
  }
  const database = body.$db;
  if (typeof database !== 'string' || database === '') throw new WireProtocolError('OP_MSG body without $db');
  return { requestId: readRequestId(message), opCode: OP_MSG, database, body, moreToCome: (flags & OP_MSG_MORE_TO_COME) !== 0 };
}

function decodeOpQuery(message: Buffer): WireRequest {
  const namespace = readCString(message, HEADER_BYTES + 4, message.length);
  // numberToSkip and numberToReturn (8 bytes) mean nothing for commands.
  const query = readDocument(message, namespace.next + 8, message.length).document;
  const dot = namespace.value.indexOf('.');
  const database = dot === -1 ? namespace.value : namespace.value.slice(0, dot);
  if (database === '') throw new WireProtocolError(`OP_QUERY on invalid namespace ${namespace.value}`);
  // Old drivers wrap commands sent with a read preference as {$query: command, $readPreference}.
  const wrapped = query.$query;
  const body = typeof wrapped === 'object' && wrapped !== null && !Array.isArray(wrapped) ? (wrapped as WireDocument) : query;
  // Legacy find via OP_QUERY on a collection is long gone from drivers (removed in MongoDB 5.1).
  if (namespace.value.slice(dot + 1) !== '$cmd') throw new WireProtocolError(`legacy OP_QUERY on ${namespace.value} is not supported`);
  return { requestId: readRequestId(message), opCode: OP_QUERY, database, body, moreToCome: false };
}

/** Decodes an OP_QUERY or OP_MSG request; throws WireProtocolError for anything else or broken bytes. */
export function decodeRequest(message: Buffer): WireRequest {
  if (message.length < HEADER_BYTES + 5) throw new WireProtocolError('message too short');
  const opCode = readOpCode(message);
  if (opCode === OP_MSG) return decodeOpMsg(message);
  if (opCode === OP_QUERY) return decodeOpQuery(message);
  // OP_COMPRESSED cannot arrive unless compression was negotiated, and hello never offers it.
  throw new WireProtocolError(`unsupported opCode ${opCode}`);
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.writeInt32LE(length, 0);
  bytes.writeInt32LE(requestId, 4);
  bytes.writeInt32LE(responseTo, 8);
  bytes.writeInt32LE(opCode, 12);
  return bytes;
}

function encodeDocument(document: WireDocument): Buffer {
  return Buffer.from(serialize(document, { ignoreUndefined: true }));
}

/** An OP_MSG reply: no flags, a single body section. */
export function encodeOpMsgReply(requestId: number, responseTo: number, reply: WireDocument): Buffer {
  const body = encodeDocument(reply);
  const length = HEADER_BYTES + 4 + 1 + body.length;
  const prefix = Buffer.alloc(5); // flagBits 0, section kind 0
  return Buffer.concat([header(length, requestId, responseTo, OP_MSG), prefix, body], length);
}

/** An OP_REPLY carrying one document, the answer format for OP_QUERY commands. */
export function encodeOpReply(requestId: number, responseTo: number, reply: WireDocument): Buffer {
  const body = encodeDocument(reply);
  const fields = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
  const failed = reply.ok !== 1 && typeof reply.$err === 'string';
  fields.writeInt32LE(failed ? OP_REPLY_QUERY_FAILURE : 0, 0);
  fields.writeInt32LE(1, 16);
  const length = HEADER_BYTES + fields.length + body.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_REPLY), fields, body], length);
}
