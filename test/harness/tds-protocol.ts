/**
 * TDS 7.4 wire encoding and decoding for the in-repo SQL Server test double (test/harness/tds-server.ts).
 * Written from the MS-TDS specification; section numbers are given where a layout is not obvious.
 * Only the subset the `mssql`/tedious driver uses is covered: no TLS, no MARS, no transactions manager
 * requests, no bulk load.
 */

export const PacketType = {
  SqlBatch: 0x01,
  Rpc: 0x03,
  TabularResult: 0x04,
  Attention: 0x06,
  TransactionManager: 0x0e,
  Login7: 0x10,
  Prelogin: 0x12,
} as const;

const PACKET_HEADER_LENGTH = 8;
const STATUS_END_OF_MESSAGE = 0x01;
/** A request larger than this is treated as hostile input rather than buffered forever. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export const DoneStatus = {
  Final: 0x0000,
  More: 0x0001,
  Error: 0x0002,
  Count: 0x0010,
  AttentionAck: 0x0020,
} as const;

const Token = {
  ColMetadata: 0x81,
  Error: 0xaa,
  LoginAck: 0xad,
  Row: 0xd1,
  EnvChange: 0xe3,
  ReturnStatus: 0x79,
  Done: 0xfd,
  DoneProc: 0xfe,
  DoneInProc: 0xff,
} as const;

/** SQL_Latin1_General_CP1_CI_AS (LCID 0x409, CI/KI/WI flags, sort id 52 = code page 1252), as 5 wire bytes. */
export const DEFAULT_COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);

/** Input that does not follow the protocol: the connection is dropped rather than answered. */
export class TdsProtocolError extends Error {
  override readonly name = 'TdsProtocolError';
}

/** Well-formed input using a feature this test double does not implement: answered with an ERROR token. */
export class TdsUnsupportedError extends Error {
  override readonly name = 'TdsUnsupportedError';
}

// ---------------------------------------------------------------------------------------------------
// Packets (MS-TDS 2.2.3)

export interface TdsMessage {
  readonly type: number;
  readonly payload: Buffer;
}

/**
 * Reassembles messages from TCP chunks: a packet may be split across chunks and a message spans
 * packets until one carries the end-of-message status bit.
 */
export class TdsMessageReader {
  private buffered: Buffer = Buffer.alloc(0);
  private messageType: number | undefined;
  private messageParts: Buffer[] = [];
  private messageBytes = 0;

  push(chunk: Buffer): TdsMessage[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: TdsMessage[] = [];
    while (this.buffered.length >= PACKET_HEADER_LENGTH) {
      const packetLength = this.buffered.readUInt16BE(2);
      if (packetLength < PACKET_HEADER_LENGTH) throw new TdsProtocolError(`packet length ${packetLength} is shorter than its header`);
      if (this.buffered.length < packetLength) break;
      const type = this.buffered.readUInt8(0);
      const status = this.buffered.readUInt8(1);
      const payload = this.buffered.subarray(PACKET_HEADER_LENGTH, packetLength);
      this.buffered = this.buffered.subarray(packetLength);
      if (type === PacketType.Attention) {
        // The client abandons whatever it was sending; an attention is always a message of its own.
        this.resetMessage();
        messages.push({ type, payload: Buffer.from(payload) });
        continue;
      }
      if (this.messageType !== undefined && this.messageType !== type) {
        throw new TdsProtocolError(`packet type 0x${type.toString(16)} inside a 0x${this.messageType.toString(16)} message`);
      }
      this.messageType = type;
      this.messageParts.push(Buffer.from(payload));
      this.messageBytes += payload.length;
      if (this.messageBytes > MAX_MESSAGE_BYTES) throw new TdsProtocolError('message too large');
      if ((status & STATUS_END_OF_MESSAGE) !== 0) {
        messages.push({ type, payload: Buffer.concat(this.messageParts) });
        this.resetMessage();
      }
    }
    return messages;
  }

  private resetMessage(): void {
    this.messageType = undefined;
    this.messageParts = [];
    this.messageBytes = 0;
  }
}

/** Splits one message into packets of at most `packetSize` bytes, ids counting from 1, EOM on the last. */
export function encodePackets(type: number, payload: Buffer, packetSize: number, spid: number): Buffer {
  const room = packetSize - PACKET_HEADER_LENGTH;
  const packets: Buffer[] = [];
  let offset = 0;
  let packetId = 1;
  do {
    const body = payload.subarray(offset, offset + room);
    offset += body.length;
    const header = Buffer.alloc(PACKET_HEADER_LENGTH);
    header.writeUInt8(type, 0);
    header.writeUInt8(offset >= payload.length ? STATUS_END_OF_MESSAGE : 0, 1);
    header.writeUInt16BE(PACKET_HEADER_LENGTH + body.length, 2);
    header.writeUInt16BE(spid, 4);
    header.writeUInt8(packetId % 256, 6);
    packets.push(header, body);
    packetId += 1;
  } while (offset < payload.length);
  return Buffer.concat(packets);
}

// ---------------------------------------------------------------------------------------------------
// Byte helpers

class ByteWriter {
  private readonly parts: Buffer[] = [];

  u8(value: number): this {
    return this.push(Buffer.from([value & 0xff]));
  }
  u16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    return this.push(b);
  }
  u16be(value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    return this.push(b);
  }
  i16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16LE(value);
    return this.push(b);
  }
  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    return this.push(b);
  }
  u32be(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return this.push(b);
  }
  i32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    return this.push(b);
  }
  i64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(value);
    return this.push(b);
  }
  u64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(value);
    return this.push(b);
  }
  f64(value: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    return this.push(b);
  }
  /** Little-endian unsigned integer of `bytes` bytes (up to 6). */
  uintN(value: number, bytes: number): this {
    const b = Buffer.alloc(bytes);
    b.writeUIntLE(value, 0, bytes);
    return this.push(b);
  }
  bytes(value: Buffer): this {
    return this.push(value);
  }
  /** B_VARCHAR: character count in one byte, then UCS-2. */
  bVarchar(text: string): this {
    const encoded = Buffer.from(text, 'utf16le');
    return this.u8(encoded.length / 2).push(encoded);
  }
  /** US_VARCHAR: character count in two bytes, then UCS-2. */
  usVarchar(text: string): this {
    const encoded = Buffer.from(text, 'utf16le');
    return this.u16(encoded.length / 2).push(encoded);
  }
  get length(): number {
    return this.parts.reduce((sum, part) => sum + part.length, 0);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
  private push(part: Buffer): this {
    this.parts.push(part);
    return this;
  }
}

/** Bounds-checked reads; running off the end is a protocol error, never a RangeError deep in a handler. */
class ByteReader {
  offset: number;

  constructor(
    private readonly buffer: Buffer,
    offset = 0,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.buffer.length - this.offset;
  }
  u8(): number {
    return this.take(1).readUInt8(0);
  }
  u16(): number {
    return this.take(2).readUInt16LE(0);
  }
  i16(): number {
    return this.take(2).readInt16LE(0);
  }
  u32(): number {
    return this.take(4).readUInt32LE(0);
  }
  i32(): number {
    return this.take(4).readInt32LE(0);
  }
  i64(): bigint {
    return this.take(8).readBigInt64LE(0);
  }
  u64(): bigint {
    return this.take(8).readBigUInt64LE(0);
  }
  f32(): number {
    return this.take(4).readFloatLE(0);
  }
  f64(): number {
    return this.take(8).readDoubleLE(0);
  }
  uintN(bytes: number): number {
    return this.take(bytes).readUIntLE(0, bytes);
  }
  bVarchar(): string {
    const characters = this.u8();
    return this.take(characters * 2).toString('utf16le');
  }
  usVarchar(): string {
    const characters = this.u16();
    return this.take(characters * 2).toString('utf16le');
  }
  take(length: number): Buffer {
    if (length < 0 || this.offset + length > this.buffer.length) {
      throw new TdsProtocolError(`truncated message: wanted ${length} bytes at offset ${this.offset} of ${this.buffer.length}`);
    }
    const slice = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

/** Skips ALL_HEADERS (2.2.5.3), which TDS 7.2+ clients put in front of SQL batches and RPCs. */
function skipAllHeaders(reader: ByteReader): void {
  const totalLength = reader.u32();
  if (totalLength < 4 || totalLength - 4 > reader.remaining) {
    throw new TdsProtocolError(`ALL_HEADERS length ${totalLength} does not fit the message`);
  }
  reader.take(totalLength - 4);
}

// ---------------------------------------------------------------------------------------------------
// PRELOGIN (2.2.6.5) and LOGIN7 (2.2.6.4)

const PRELOGIN_VERSION = 0x00;
const PRELOGIN_ENCRYPTION = 0x01;
const PRELOGIN_INSTOPT = 0x02;
const PRELOGIN_THREADID = 0x03;
const PRELOGIN_MARS = 0x04;
const PRELOGIN_TERMINATOR = 0xff;
/** ENCRYPT_NOT_SUP: tedious then stays in plaintext when the client did not require encryption. */
const ENCRYPTION_NOT_SUPPORTED = 0x02;

export function encodePreloginResponse(threadId: number): Buffer {
  const options: [number, Buffer][] = [
    // 16.0.1000.0: a SQL Server 2022 version number; the client only logs it.
    [PRELOGIN_VERSION, Buffer.from([16, 0, 0x03, 0xe8, 0, 0])],
    [PRELOGIN_ENCRYPTION, Buffer.from([ENCRYPTION_NOT_SUPPORTED])],
    [PRELOGIN_INSTOPT, Buffer.from([0])],
    [PRELOGIN_THREADID, new ByteWriter().u32be(threadId).toBuffer()],
    [PRELOGIN_MARS, Buffer.from([0])],
  ];
  const tableLength = options.length * 5 + 1;
  const table = new ByteWriter();
  const data = new ByteWriter();
  for (const [option, value] of options) {
    table.u8(option).u16be(tableLength + data.length).u16be(value.length);
    data.bytes(value);
  }
  table.u8(PRELOGIN_TERMINATOR);
  return Buffer.concat([table.toBuffer(), data.toBuffer()]);
}

export interface Login7Request {
  readonly tdsVersion: number;
  readonly packetSize: number;
  readonly hostName: string;
  readonly userName: string;
  readonly password: string;
  readonly appName: string;
  readonly database: string;
}

/** The client obfuscates each password byte by swapping its nibbles and XORing 0xA5; this undoes it. */
function revealPassword(obfuscated: Buffer): string {
  const plain = Buffer.alloc(obfuscated.length);
  for (let i = 0; i < obfuscated.length; i += 1) {
    const unmasked = obfuscated.readUInt8(i) ^ 0xa5;
    plain.writeUInt8(((unmasked & 0x0f) << 4) | (unmasked >> 4), i);
  }
  return plain.toString('utf16le');
}

export function decodeLogin7(payload: Buffer): Login7Request {
  const header = new ByteReader(payload);
  const length = header.u32();
  if (length > payload.length) throw new TdsProtocolError(`LOGIN7 claims ${length} bytes, got ${payload.length}`);
  const tdsVersion = header.u32();
  const packetSize = header.u32();
  /** Offset/length pairs start at byte 36; lengths count UCS-2 characters. */
  const field = (index: number): Buffer => {
    const pair = new ByteReader(payload, 36 + index * 4);
    const offset = pair.u16();
    const characters = pair.u16();
    return new ByteReader(payload, offset).take(characters * 2);
  };
  return {
    tdsVersion,
    packetSize,
    hostName: field(0).toString('utf16le'),
    userName: field(1).toString('utf16le'),
    password: revealPassword(field(2)),
    appName: field(3).toString('utf16le'),
    database: field(8).toString('utf16le'),
  };
}

// ---------------------------------------------------------------------------------------------------
// Server tokens (2.2.7)

const ENVCHANGE_DATABASE = 1;
const ENVCHANGE_PACKET_SIZE = 4;
const ENVCHANGE_SQL_COLLATION = 7;
const TDS_VERSION_7_4 = 0x74000004;

function envChangeStrings(type: number, newValue: string, oldValue: string): Buffer {
  const body = new ByteWriter().u8(type).bVarchar(newValue).bVarchar(oldValue).toBuffer();
  return new ByteWriter().u8(Token.EnvChange).u16(body.length).bytes(body).toBuffer();
}

function envChangeBytes(type: number, newValue: Buffer, oldValue: Buffer): Buffer {
  const body = new ByteWriter().u8(type).u8(newValue.length).bytes(newValue).u8(oldValue.length).bytes(oldValue).toBuffer();
  return new ByteWriter().u8(Token.EnvChange).u16(body.length).bytes(body).toBuffer();
}

/**
 * The successful login answer. The collation ENVCHANGE matters: tedious refuses VARCHAR parameters
 * ("No collation was set by the server") without one.
 */
export function encodeLoginSuccess(databaseName: string, packetSize: number, programName: string): Buffer {
  const loginAck = new ByteWriter()
    .u8(1) // interface: SQL_TSQL
    .u32be(TDS_VERSION_7_4)
    .bVarchar(programName)
    .bytes(Buffer.from([16, 0, 0x03, 0xe8]))
    .toBuffer();
  return Buffer.concat([
    envChangeStrings(ENVCHANGE_DATABASE, databaseName, 'master'),
    envChangeBytes(ENVCHANGE_SQL_COLLATION, DEFAULT_COLLATION, Buffer.alloc(0)),
    envChangeStrings(ENVCHANGE_PACKET_SIZE, String(packetSize), String(packetSize)),
    new ByteWriter().u8(Token.LoginAck).u16(loginAck.length).bytes(loginAck).toBuffer(),
    encodeDone('done', DoneStatus.Final, 0),
  ]);
}

export interface ServerError {
  readonly number: number;
  readonly state: number;
  readonly severity: number;
  readonly message: string;
  readonly serverName: string;
  readonly procName?: string;
  readonly line?: number;
}

export function encodeError(error: ServerError): Buffer {
  const body = new ByteWriter()
    .i32(error.number)
    .u8(error.state)
    .u8(error.severity)
    .usVarchar(error.message)
    .bVarchar(error.serverName)
    .bVarchar(error.procName ?? '')
    .i32(error.line ?? 1)
    .toBuffer();
  return new ByteWriter().u8(Token.Error).u16(body.length).bytes(body).toBuffer();
}

export type DoneKind = 'done' | 'doneProc' | 'doneInProc';

export function encodeDone(kind: DoneKind, status: number, rowCount: number): Buffer {
  const token = kind === 'done' ? Token.Done : kind === 'doneProc' ? Token.DoneProc : Token.DoneInProc;
  return new ByteWriter().u8(token).u16(status).u16(0).u64(BigInt(rowCount)).toBuffer();
}

export function encodeReturnStatus(value: number): Buffer {
  return new ByteWriter().u8(Token.ReturnStatus).i32(value).toBuffer();
}

// ---------------------------------------------------------------------------------------------------
// Result sets: COLMETADATA (2.2.7.4) and ROW (2.2.7.19)

/**
 * How a column goes on the wire. `int4` exists besides `int8` because tedious hands BIGINT values to
 * JavaScript as strings; plain INT columns come back as numbers, as they do from a real server.
 */
export type ColumnKind = 'int4' | 'int8' | 'bit' | 'float' | 'binary' | 'datetime2' | 'datetimeoffset' | 'text';

export interface ResultColumn {
  readonly name: string;
  readonly kind: ColumnKind;
}

const TypeId = {
  Null: 0x1f,
  Int1: 0x30,
  Bit: 0x32,
  Int2: 0x34,
  Int4: 0x38,
  DateTim4: 0x3a,
  Flt4: 0x3b,
  Money: 0x3c,
  DateTime: 0x3d,
  Flt8: 0x3e,
  Money4: 0x7a,
  Int8: 0x7f,
  Guid: 0x24,
  IntN: 0x26,
  DateN: 0x28,
  TimeN: 0x29,
  DateTime2N: 0x2a,
  DateTimeOffsetN: 0x2b,
  BitN: 0x68,
  DecimalN: 0x6a,
  NumericN: 0x6c,
  FltN: 0x6d,
  MoneyN: 0x6e,
  DateTimeN: 0x6f,
  Image: 0x22,
  Text: 0x23,
  NText: 0x63,
  BigVarBinary: 0xa5,
  BigVarChar: 0xa7,
  BigBinary: 0xad,
  BigChar: 0xaf,
  NVarChar: 0xe7,
  NChar: 0xef,
} as const;

const MAX_LENGTH_PLP = 0xffff;
const PLP_NULL = 0xffffffffffffffffn;
const PLP_UNKNOWN_LENGTH = 0xfffffffffffffffen;
const COLUMN_FLAG_NULLABLE = 0x0001;
const DATETIME2_SCALE = 7;
const MS_PER_DAY = 86_400_000;
/** Days from 0001-01-01 (the DATE/DATETIME2 epoch) to 1970-01-01. */
const DAYS_0001_TO_1970 = 719_162;
/** Days from 1900-01-01 (the DATETIME epoch) to 1970-01-01. */
const DAYS_1900_TO_1970 = 25_567;

function typeInfo(kind: ColumnKind): Buffer {
  switch (kind) {
    case 'int4':
      return Buffer.from([TypeId.IntN, 4]);
    case 'int8':
      return Buffer.from([TypeId.IntN, 8]);
    case 'bit':
      return Buffer.from([TypeId.BitN, 1]);
    case 'float':
      return Buffer.from([TypeId.FltN, 8]);
    case 'binary':
      return new ByteWriter().u8(TypeId.BigVarBinary).u16(MAX_LENGTH_PLP).toBuffer();
    case 'datetime2':
      return Buffer.from([TypeId.DateTime2N, DATETIME2_SCALE]);
    case 'datetimeoffset':
      return Buffer.from([TypeId.DateTimeOffsetN, DATETIME2_SCALE]);
    case 'text':
      return new ByteWriter().u8(TypeId.NVarChar).u16(MAX_LENGTH_PLP).bytes(DEFAULT_COLLATION).toBuffer();
  }
}

export function encodeColumnMetadata(columns: readonly ResultColumn[]): Buffer {
  const writer = new ByteWriter().u8(Token.ColMetadata).u16(columns.length);
  for (const column of columns) {
    writer.u32(0).u16(COLUMN_FLAG_NULLABLE).bytes(typeInfo(column.kind)).bVarchar(column.name);
  }
  return writer.toBuffer();
}

/** PLP (2.2.5.2.3): total length, one chunk, terminator. */
function plp(writer: ByteWriter, data: Buffer | null): void {
  if (data === null) {
    writer.u64(PLP_NULL);
    return;
  }
  writer.u64(BigInt(data.length));
  if (data.length > 0) writer.u32(data.length).bytes(data);
  writer.u32(0);
}

/** Milliseconds since 1970 (UTC) → DATETIME2(7) time (5 bytes of 100 ns units) + date (3 bytes of days). */
function writeDateTime2(writer: ByteWriter, epochMs: number): void {
  const days = Math.floor(epochMs / MS_PER_DAY);
  const msOfDay = epochMs - days * MS_PER_DAY;
  writer.uintN(msOfDay * 10_000, 5).uintN(days + DAYS_0001_TO_1970, 3);
}

/** Accepts `YYYY-MM-DD`, `YYYY-MM-DD hh:mm[:ss[.fff]]` and ISO 8601 with `T`/`Z`/offset; zone-less means UTC. */
export function parseStoredDate(value: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?)?$/iu.exec(value.trim());
  if (!match) return undefined;
  const [, date, time, zone] = match;
  const iso = `${date ?? ''}T${time ?? '00:00'}${zone ?? 'Z'}`;
  const parsed = Date.parse(iso);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function toEpochMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const parsed = parseStoredDate(value);
    if (parsed !== undefined) return parsed;
  }
  throw new TdsUnsupportedError(`value ${String(value)} is not a date`);
}

function toText(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function writeValue(writer: ByteWriter, kind: ColumnKind, value: unknown): void {
  const isNull = value === null || value === undefined;
  switch (kind) {
    case 'int4':
      if (isNull) writer.u8(0);
      else writer.u8(4).i32(Number(value));
      return;
    case 'int8':
      if (isNull) writer.u8(0);
      else writer.u8(8).i64(typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value))));
      return;
    case 'bit':
      if (isNull) writer.u8(0);
      else writer.u8(1).u8(Number(value) === 0 ? 0 : 1);
      return;
    case 'float':
      if (isNull) writer.u8(0);
      else writer.u8(8).f64(Number(value));
      return;
    case 'binary':
      plp(writer, isNull ? null : Buffer.isBuffer(value) ? value : Buffer.from(toText(value), 'utf8'));
      return;
    case 'datetime2':
      if (isNull) writer.u8(0);
      else writeDateTime2(writer.u8(8), toEpochMs(value));
      return;
    case 'datetimeoffset':
      if (isNull) {
        writer.u8(0);
        return;
      }
      // Stored as UTC, so the offset is always +00:00.
      writeDateTime2(writer.u8(10), toEpochMs(value));
      writer.i16(0);
      return;
    case 'text':
      plp(writer, isNull ? null : Buffer.from(toText(value), 'utf16le'));
      return;
  }
}

export function encodeRow(columns: readonly ResultColumn[], row: readonly unknown[]): Buffer {
  const writer = new ByteWriter().u8(Token.Row);
  columns.forEach((column, index) => {
    writeValue(writer, column.kind, row[index]);
  });
  return writer.toBuffer();
}

// ---------------------------------------------------------------------------------------------------
// SQL batch (2.2.6.7) and RPC (2.2.6.6) requests

export function decodeSqlBatch(payload: Buffer): string {
  const reader = new ByteReader(payload);
  skipAllHeaders(reader);
  return reader.take(reader.remaining).toString('utf16le');
}

/** A decoded parameter value, already in the form better-sqlite3 binds. */
export type ParameterValue = string | number | bigint | Buffer | null;

export interface RpcParameter {
  /** As sent, with the leading `@`, or '' for a positional parameter. */
  readonly name: string;
  readonly typeId: number;
  readonly value: ParameterValue;
}

export interface RpcCall {
  /** Set when the procedure is sent by name. */
  readonly procedureName?: string;
  /** Set when the procedure is sent by well-known id (10 = sp_executesql). */
  readonly procedureId?: number;
  readonly parameters: readonly RpcParameter[];
}

const RPC_BATCH_SEPARATORS = new Set([0x80, 0xff]);

export function decodeRpc(payload: Buffer): RpcCall[] {
  const reader = new ByteReader(payload);
  skipAllHeaders(reader);
  const calls: RpcCall[] = [];
  while (reader.remaining > 0) {
    const nameLength = reader.u16();
    const procedure = nameLength === 0xffff ? { procedureId: reader.u16() } : { procedureName: reader.take(nameLength * 2).toString('utf16le') };
    reader.u16(); // option flags: recompile / no-metadata do not change what a test double sends back
    const parameters: RpcParameter[] = [];
    while (reader.remaining > 0) {
      const next = reader.u8();
      reader.offset -= 1;
      if (RPC_BATCH_SEPARATORS.has(next)) {
        reader.u8();
        break;
      }
      const name = reader.bVarchar();
      reader.u8(); // status flags: output parameters are sent like inputs
      const typeId = reader.u8();
      parameters.push({ name, typeId, value: readTypedValue(reader, typeId) });
    }
    calls.push({ ...procedure, parameters });
  }
  return calls;
}

const windows1252 = new TextDecoder('windows-1252');

function readPlp(reader: ByteReader): Buffer | null {
  const total = reader.u64();
  if (total === PLP_NULL) return null;
  const chunks: Buffer[] = [];
  for (;;) {
    const chunkLength = reader.u32();
    if (chunkLength === 0) break;
    chunks.push(reader.take(chunkLength));
  }
  const data = Buffer.concat(chunks);
  if (total !== PLP_UNKNOWN_LENGTH && BigInt(data.length) !== total) {
    throw new TdsProtocolError(`PLP value announced ${total} bytes but carried ${data.length}`);
  }
  return data;
}

function safeInteger(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function isoFromEpochMs(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** TIME/DATETIME2/DATETIMEOFFSET time part: 3–5 bytes of 10^-scale second units → milliseconds of the day. */
function readTimeOfDayMs(reader: ByteReader, scale: number): number {
  const bytes = scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
  return (reader.uintN(bytes) * 1000) / 10 ** scale;
}

function readDateDays(reader: ByteReader): number {
  return reader.uintN(3) - DAYS_0001_TO_1970;
}

function readGuid(reader: ByteReader): string {
  const b = reader.take(16);
  // The first three groups are little-endian on the wire, the last two are not.
  const hex = (start: number, end: number, reverse: boolean): string => {
    const part = Buffer.from(b.subarray(start, end));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

function readDecimal(reader: ByteReader, length: number, scale: number): number {
  const sign = reader.u8();
  let magnitude = 0n;
  const bytes = reader.take(length - 1);
  for (let i = bytes.length - 1; i >= 0; i -= 1) magnitude = (magnitude << 8n) | BigInt(bytes.readUInt8(i));
  const digits = magnitude.toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return (sign === 1 ? 1 : -1) * Number(text);
}

function readMoney(reader: ByteReader, length: number): number {
  if (length === 4) return reader.i32() / 10_000;
  const high = BigInt(reader.i32());
  const low = BigInt(reader.u32());
  return Number((high << 32n) | low) / 10_000;
}

function readDateTime(reader: ByteReader, length: number): string {
  if (length === 4) {
    const days = reader.u16();
    const minutes = reader.u16();
    return isoFromEpochMs((days - DAYS_1900_TO_1970) * MS_PER_DAY + minutes * 60_000);
  }
  const days = reader.i32();
  const threeHundredths = reader.u32();
  return isoFromEpochMs((days - DAYS_1900_TO_1970) * MS_PER_DAY + Math.round((threeHundredths * 10) / 3));
}

/** Reads the TYPE_INFO that follows the type byte (2.2.5.6) and then the value (2.2.5.5.1.x). */
function readTypedValue(reader: ByteReader, typeId: number): ParameterValue {
  switch (typeId) {
    case TypeId.Null:
      return null;
    case TypeId.Int1:
      return reader.u8();
    case TypeId.Bit:
      return reader.u8() === 0 ? 0 : 1;
    case TypeId.Int2:
      return reader.i16();
    case TypeId.Int4:
      return reader.i32();
    case TypeId.Int8:
      return safeInteger(reader.i64());
    case TypeId.Flt4:
      return reader.f32();
    case TypeId.Flt8:
      return reader.f64();
    case TypeId.DateTime:
      return readDateTime(reader, 8);
    case TypeId.DateTim4:
      return readDateTime(reader, 4);
    case TypeId.Money:
      return readMoney(reader, 8);
    case TypeId.Money4:
      return readMoney(reader, 4);
    case TypeId.IntN: {
      reader.u8();
      const length = reader.u8();
      if (length === 0) return null;
      if (length === 1) return reader.u8();
      if (length === 2) return reader.i16();
      if (length === 4) return reader.i32();
      if (length === 8) return safeInteger(reader.i64());
      throw new TdsProtocolError(`INTN length ${length}`);
    }
    case TypeId.BitN: {
      reader.u8();
      const length = reader.u8();
      if (length === 0) return null;
      return reader.take(length).readUInt8(0) === 0 ? 0 : 1;
    }
    case TypeId.FltN: {
      reader.u8();
      const length = reader.u8();
      if (length === 0) return null;
      if (length === 4) return reader.f32();
      if (length === 8) return reader.f64();
      throw new TdsProtocolError(`FLTN length ${length}`);
    }
    case TypeId.MoneyN: {
      reader.u8();
      const length = reader.u8();
      return length === 0 ? null : readMoney(reader, length);
    }
    case TypeId.DateTimeN: {
      reader.u8();
      const length = reader.u8();
      return length === 0 ? null : readDateTime(reader, length);
    }
    case TypeId.Guid: {
      reader.u8();
      const length = reader.u8();
      if (length === 0) return null;
      if (length !== 16) throw new TdsProtocolError(`GUID length ${length}`);
      return readGuid(reader);
    }
    case TypeId.DecimalN:
    case TypeId.NumericN: {
      reader.u8(); // maximum length
      reader.u8(); // precision
      const scale = reader.u8();
      const length = reader.u8();
      return length === 0 ? null : readDecimal(reader, length, scale);
    }
    case TypeId.DateN: {
      const length = reader.u8();
      if (length === 0) return null;
      return isoFromEpochMs(readDateDays(reader) * MS_PER_DAY).slice(0, 10);
    }
    case TypeId.TimeN: {
      const scale = reader.u8();
      const length = reader.u8();
      if (length === 0) return null;
      return isoFromEpochMs(readTimeOfDayMs(reader, scale)).slice(11, 23);
    }
    case TypeId.DateTime2N:
    case TypeId.DateTimeOffsetN: {
      const scale = reader.u8();
      const length = reader.u8();
      if (length === 0) return null;
      const timeMs = readTimeOfDayMs(reader, scale);
      const days = readDateDays(reader);
      // DATETIMEOFFSET carries UTC date and time; the offset only says how the client saw it.
      if (typeId === TypeId.DateTimeOffsetN) reader.i16();
      return isoFromEpochMs(days * MS_PER_DAY + Math.round(timeMs));
    }
    case TypeId.NVarChar:
    case TypeId.NChar:
    case TypeId.BigVarChar:
    case TypeId.BigChar:
    case TypeId.BigVarBinary:
    case TypeId.BigBinary: {
      const maxLength = reader.u16();
      const isCharacter = typeId !== TypeId.BigVarBinary && typeId !== TypeId.BigBinary;
      if (isCharacter) reader.take(5); // collation
      let data: Buffer | null;
      if (maxLength === MAX_LENGTH_PLP) data = readPlp(reader);
      else {
        const length = reader.u16();
        data = length === 0xffff ? null : reader.take(length);
      }
      return decodeVariableData(typeId, data);
    }
    case TypeId.Text:
    case TypeId.NText:
    case TypeId.Image: {
      reader.u32(); // maximum length
      if (typeId !== TypeId.Image) reader.take(5); // collation
      const length = reader.u32();
      return decodeVariableData(typeId, length === 0xffffffff ? null : reader.take(length));
    }
    default:
      throw new TdsUnsupportedError(`parameter type 0x${typeId.toString(16).padStart(2, '0')} is not supported by the TDS test server`);
  }
}

function decodeVariableData(typeId: number, data: Buffer | null): ParameterValue {
  if (data === null) return null;
  switch (typeId) {
    case TypeId.NVarChar:
    case TypeId.NChar:
    case TypeId.NText:
      return data.toString('utf16le');
    case TypeId.BigVarChar:
    case TypeId.BigChar:
    case TypeId.Text:
      // The collation this server announces is code page 1252, so that is what the client encoded with.
      return windows1252.decode(data);
    default:
      return Buffer.from(data);
  }
}
