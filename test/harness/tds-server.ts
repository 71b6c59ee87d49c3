/**
 * An in-process SQL Server stand-in that the real `mssql`/tedious driver connects to: TDS 7.4 on the
 * wire, better-sqlite3 underneath. SQL Server cannot run on this machine (shared/reference/test-infra.md),
 * so this is how the SQL store's T-SQL, parameter binding, recordset mapping and error classes meet a
 * real driver in tests. It is a test double: T-SQL is translated to SQLite only as far as our own
 * statements need (see `translateTsql`), and nothing here says how a real server would behave.
 *
 * Result columns: declared INT/INTEGER → INT (INTN 4, widened to BIGINT when a value needs it), BIGINT →
 * BIGINT (tedious returns it as a string), BIT → BIT, REAL/FLOAT/DECIMAL → FLOAT, BLOB/VARBINARY →
 * VARBINARY(max), DATETIME2/DATETIME → DATETIME2(7) and DATETIMEOFFSET → DATETIMEOFFSET(7) when every
 * stored value parses as a date (zone-less text is UTC), everything else → NVARCHAR(max). A column whose
 * values do not fit its declared type gets the type its values have.
 *
 * LOWER() and UPPER() are replaced on the database with JavaScript's case folding, as SQL Server folds nvarchar
 * text of every alphabet (SQLite's own fold ASCII letters only).
 *
 * Not emulated: TLS, MARS, transaction-manager requests (mssql's `Transaction`; BEGIN TRANSACTION in SQL
 * works), procedures other than sp_executesql, OUTPUT parameter values, SET NOCOUNT (SET statements are
 * acknowledged and ignored), statements after the first failing one in a batch.
 */
import { createServer, type Socket } from 'node:net';
import { listenTcp } from './process.js';
import BetterSqlite3 from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import { registerCaseFolding } from '../../src/stores/sql/sqlite.js';
import {
  DoneStatus,
  PacketType,
  TdsMessageReader,
  TdsProtocolError,
  TdsUnsupportedError,
  decodeLogin7,
  decodeRpc,
  decodeSqlBatch,
  encodeColumnMetadata,
  encodeDone,
  encodeError,
  encodeLoginSuccess,
  encodePackets,
  encodePreloginResponse,
  encodeReturnStatus,
  encodeRow,
  parseStoredDate,
  type ColumnKind,
  type DoneKind,
  type ParameterValue,
  type ResultColumn,
  type RpcCall,
  type ServerError,
  type TdsMessage,
} from './tds-protocol.js';

export interface TdsServerOptions {
  /** The database queries run against (better-sqlite3). Default: a new ':memory:' database. */
  database?: Database;
  /** Default 'sa'. */
  user?: string;
  /** Default 'Legacy-Idp-Test-1'. */
  password?: string;
  /** Default 'legacy'. */
  databaseName?: string;
  /** Default: a free port on 127.0.0.1 (0). */
  port?: number;
}

export interface TdsQueryLog {
  sql: string;
  parameters: Record<string, unknown>;
}

export interface TdsServer {
  readonly host: string;
  readonly port: number;
  readonly database: Database;
  /** A ready `mssql` config object: server, port, user, password, database, options {encrypt:false, trustServerCertificate:true}. */
  readonly mssqlConfig: {
    server: string;
    port: number;
    user: string;
    password: string;
    database: string;
    options: { encrypt: boolean; trustServerCertificate: boolean };
  };
  /** Every SQL batch / sp_executesql statement received, with decoded parameters, in order. */
  readonly queries: TdsQueryLog[];
  /** While true, the server accepts connections/packets but never answers (for timeout tests). */
  setSilent(silent: boolean): void;
  /** Stops listening and destroys every open socket (simulates a crashed server). */
  close(): Promise<void>;
  /** Listens again on the same port after close() (simulates a restart). */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';
const SERVER_NAME = 'legacy-idp-tds';
const PROGRAM_NAME = 'legacy-idp TDS test server';
const DEFAULT_PACKET_SIZE = 4096;
/** The range MS-TDS allows for a negotiated packet size. */
const MIN_PACKET_SIZE = 512;
const MAX_PACKET_SIZE = 32_767;
const SP_EXECUTESQL_ID = 10;
const USER_ERROR_SEVERITY = 16;

// ---------------------------------------------------------------------------------------------------
// T-SQL → SQLite

type SqlTokenKind = 'space' | 'comment' | 'string' | 'identifier' | 'word' | 'parameter' | 'number' | 'symbol';

interface SqlToken {
  kind: SqlTokenKind;
  text: string;
  /** Identifier or word without quoting, for keyword and `dbo` checks. */
  name: string;
}

const tokenPatterns: readonly [SqlTokenKind, RegExp][] = [
  ['space', /\s+/uy],
  ['comment', /--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/uy],
  // N'...' is T-SQL's Unicode literal; SQLite strings are Unicode already, so the N is dropped below.
  ['string', /[Nn]?'(?:[^']|'')*'?/uy],
  ['identifier', /\[(?:[^\]]|\]\])*\]?|"(?:[^"]|"")*"?/uy],
  ['parameter', /@@?[\p{L}\p{N}_$#]*/uy],
  ['number', /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/uy],
  ['word', /[\p{L}_#][\p{L}\p{N}_$#]*/uy],
];

function tokenize(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let position = 0;
  while (position < sql.length) {
    let matched = false;
    for (const [kind, pattern] of tokenPatterns) {
      pattern.lastIndex = position;
      const match = pattern.exec(sql);
      if (!match || match[0] === '') continue;
      tokens.push(makeToken(kind, match[0]));
      position += match[0].length;
      matched = true;
      break;
    }
    if (!matched) {
      const symbol = sql.charAt(position);
      tokens.push({ kind: 'symbol', text: symbol, name: symbol });
      position += 1;
    }
  }
  return tokens;
}

function makeToken(kind: SqlTokenKind, text: string): SqlToken {
  if (kind === 'string' && /^[Nn]'/u.test(text)) return { kind, text: text.slice(1), name: text.slice(1) };
  if (kind === 'identifier' && text.startsWith('[')) {
    const name = text.slice(1, text.endsWith(']') ? -1 : undefined).replaceAll(']]', ']');
    // SQLite reads [x] itself, but not the ]] escape; the double-quoted form carries any name.
    return { kind, text: name.includes(']') ? `"${name.replaceAll('"', '""')}"` : text, name };
  }
  if (kind === 'identifier') return { kind, text, name: text.slice(1, text.endsWith('"') ? -1 : undefined).replaceAll('""', '"') };
  return { kind, text, name: text };
}

const isSignificant = (token: SqlToken): boolean => token.kind !== 'space' && token.kind !== 'comment';
const isKeyword = (token: SqlToken | undefined, ...words: string[]): boolean =>
  token !== undefined && token.kind === 'word' && words.includes(token.name.toUpperCase());
const isSymbol = (token: SqlToken | undefined, symbol: string): boolean => token?.kind === 'symbol' && token.text === symbol;

function nextSignificant(tokens: readonly SqlToken[], from: number): number {
  let index = from;
  while (index < tokens.length && !isSignificant(tokens[index]!)) index += 1;
  return index;
}

function previousSignificant(tokens: readonly SqlToken[], from: number): number {
  let index = from;
  while (index >= 0 && !isSignificant(tokens[index]!)) index -= 1;
  return index;
}

/** A single operand (number, parameter, name) or a parenthesized group starting at `start`; returns the index after it. */
function operandEnd(tokens: readonly SqlToken[], start: number): number {
  if (!isSymbol(tokens[start], '(')) return start + 1;
  let depth = 0;
  for (let index = start; index < tokens.length; index += 1) {
    if (isSymbol(tokens[index], '(')) depth += 1;
    if (isSymbol(tokens[index], ')')) depth -= 1;
    if (depth === 0) return index + 1;
  }
  throw new TdsUnsupportedError('unbalanced parentheses');
}

const textOf = (tokens: readonly SqlToken[]): string => tokens.map((token) => token.text).join('');
const rawToken = (text: string): SqlToken => ({ kind: 'word', text, name: text });

/** Where a clause appended to the query expression around `from` belongs: before its closing `)` or at the end. */
function endOfQueryExpression(tokens: readonly SqlToken[], from: number): number {
  let depth = 0;
  for (let index = from; index < tokens.length; index += 1) {
    if (isSymbol(tokens[index], '(')) depth += 1;
    if (isSymbol(tokens[index], ')')) {
      if (depth === 0) return previousSignificant(tokens, index - 1) + 1;
      depth -= 1;
    }
  }
  return previousSignificant(tokens, tokens.length - 1) + 1;
}

/** `SELECT [DISTINCT] TOP (n) ...` → `SELECT ... LIMIT (n)`, innermost query expression first found. */
function rewriteTop(tokens: SqlToken[]): boolean {
  for (let index = 0; index < tokens.length; index += 1) {
    if (!isKeyword(tokens[index], 'TOP')) continue;
    const before = previousSignificant(tokens, index - 1);
    const selectAt = isKeyword(tokens[before], 'DISTINCT', 'ALL') ? previousSignificant(tokens, before - 1) : before;
    if (!isKeyword(tokens[selectAt], 'SELECT')) throw new TdsUnsupportedError('TOP is only translated after SELECT (not in UPDATE/DELETE)');
    const operandStart = nextSignificant(tokens, index + 1);
    const operandStop = operandEnd(tokens, operandStart);
    if (isKeyword(tokens[nextSignificant(tokens, operandStop)], 'PERCENT', 'WITH')) throw new TdsUnsupportedError('TOP ... PERCENT / WITH TIES is not translated');
    const limit = textOf(tokens.slice(operandStart, operandStop));
    tokens.splice(index, nextSignificant(tokens, operandStop) - index);
    const insertAt = endOfQueryExpression(tokens, index);
    tokens.splice(insertAt, 0, rawToken(` LIMIT ${limit}`));
    return true;
  }
  return false;
}

/** `OFFSET x ROWS [FETCH NEXT y ROWS ONLY]` → `LIMIT y OFFSET x` (-1: no limit). */
function rewriteOffsetFetch(tokens: SqlToken[]): boolean {
  for (let index = 0; index < tokens.length; index += 1) {
    if (!isKeyword(tokens[index], 'OFFSET')) continue;
    const offsetStart = nextSignificant(tokens, index + 1);
    const offsetStop = operandEnd(tokens, offsetStart);
    const rowsAt = nextSignificant(tokens, offsetStop);
    if (!isKeyword(tokens[rowsAt], 'ROW', 'ROWS')) continue; // already SQLite's `LIMIT x OFFSET y`
    const offset = textOf(tokens.slice(offsetStart, offsetStop));
    let stop = rowsAt + 1;
    let limit = '-1';
    const fetchAt = nextSignificant(tokens, stop);
    if (isKeyword(tokens[fetchAt], 'FETCH')) {
      const fetchStart = nextSignificant(tokens, nextSignificant(tokens, fetchAt + 1) + 1);
      const fetchStop = operandEnd(tokens, fetchStart);
      limit = textOf(tokens.slice(fetchStart, fetchStop));
      const onlyAt = nextSignificant(tokens, nextSignificant(tokens, fetchStop) + 1);
      if (!isKeyword(tokens[onlyAt], 'ONLY')) throw new TdsUnsupportedError('FETCH without ROWS ONLY');
      stop = onlyAt + 1;
    }
    tokens.splice(index, stop - index, rawToken(`LIMIT ${limit} OFFSET ${offset}`));
    return true;
  }
  return false;
}

const NOW_UTC_ARGUMENTS = "('%Y-%m-%dT%H:%M:%fZ','now'";
/** T-SQL functions with an SQLite spelling. */
const functionRenames = new Map([
  ['ISNULL', 'IFNULL'],
  ['LEN', 'LENGTH'],
  ['SCOPE_IDENTITY', 'last_insert_rowid'],
]);
const nowFunctions = new Set(['GETDATE', 'GETUTCDATE', 'SYSDATETIME', 'SYSUTCDATETIME', 'CURRENT_TIMESTAMP']);
const systemVariables = new Map([
  ['@@IDENTITY', 'last_insert_rowid()'],
  ['@@ROWCOUNT', 'changes()'],
]);

function rewriteNames(tokens: SqlToken[]): void {
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index]!;
    const upper = token.name.toUpperCase();
    const next = nextSignificant(tokens, index + 1);
    // A `dbo.` schema qualifier names SQLite's main schema here.
    if ((token.kind === 'word' || token.kind === 'identifier') && upper === 'DBO' && isSymbol(tokens[next], '.') && !isSymbol(tokens[index - 1], '.')) {
      tokens.splice(index, next + 1 - index);
      index -= 1;
      continue;
    }
    if (token.kind === 'parameter' && systemVariables.has(upper)) {
      tokens[index] = rawToken(systemVariables.get(upper) ?? '');
      continue;
    }
    if (token.kind !== 'word') continue;
    const renamed = functionRenames.get(upper);
    if (renamed !== undefined && isSymbol(tokens[next], '(')) tokens[index] = rawToken(renamed);
    else if (nowFunctions.has(upper) && isSymbol(tokens[next], '(')) {
      tokens[index] = rawToken('strftime');
      tokens[next] = rawToken(NOW_UTC_ARGUMENTS);
    } else if (upper === 'TRAN' && isKeyword(tokens[previousSignificant(tokens, index - 1)], 'BEGIN', 'COMMIT', 'ROLLBACK')) {
      tokens[index] = rawToken('TRANSACTION');
    }
  }
}

export interface TranslatedStatement {
  /** The statement as sent (without the separating `;`). */
  readonly original: string;
  /** SQLite text, or undefined for statements answered without running (SET, USE). */
  readonly sqlite: string | undefined;
  /** `@name` parameters referenced, without the `@`. */
  readonly parameterNames: readonly string[];
  /** INSERT/UPDATE/DELETE/MERGE: the DONE token carries the rows-affected count. */
  readonly countsRows: boolean;
}

/**
 * Splits a batch on `;` and translates each statement to SQLite: `TOP (n)` → `LIMIT`, `OFFSET/FETCH` →
 * `LIMIT/OFFSET`, `N'…'` → `'…'`, `[a]]b]` quoting, `dbo.` dropped, GETUTCDATE() & co. → ISO 8601 UTC
 * text, ISNULL/LEN/SCOPE_IDENTITY/@@IDENTITY/@@ROWCOUNT. SET and USE statements are not run.
 * BEGIN…END blocks, control flow, temp tables and variables other than parameters are not translated.
 */
export function translateTsql(sql: string): TranslatedStatement[] {
  const statements: SqlToken[][] = [[]];
  for (const token of tokenize(sql)) {
    if (isSymbol(token, ';')) statements.push([]);
    else statements.at(-1)?.push(token);
  }
  return statements
    .filter((tokens) => tokens.some(isSignificant))
    .map((tokens) => {
      const original = textOf(tokens).trim();
      const first = tokens[nextSignificant(tokens, 0)];
      const parameterNames = [...new Set(tokens.filter((t) => t.kind === 'parameter' && !t.text.startsWith('@@')).map((t) => t.text.slice(1)))];
      if (isKeyword(first, 'SET', 'USE')) return { original, sqlite: undefined, parameterNames: [], countsRows: false };
      const working = [...tokens];
      rewriteNames(working);
      while (rewriteTop(working));
      while (rewriteOffsetFetch(working));
      const countsRows =
        isKeyword(first, 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'REPLACE') ||
        (isKeyword(first, 'WITH') && working.some((token) => isKeyword(token, 'INSERT', 'UPDATE', 'DELETE')));
      return { original, sqlite: textOf(working).trim(), parameterNames, countsRows };
    });
}

// ---------------------------------------------------------------------------------------------------
// Result column types

const INT32_MIN = -2_147_483_648n;
const INT32_MAX = 2_147_483_647n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const isInteger = (value: unknown): value is bigint | number => typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
const inRange = (value: bigint | number, min: bigint, max: bigint): boolean => BigInt(value) >= min && BigInt(value) <= max;

function declaredKind(declared: string | null): ColumnKind | undefined {
  if (declared === null || declared.trim() === '') return undefined;
  const type = declared.toUpperCase().replace(/\(.*$/su, '').trim();
  if (type === 'BIGINT') return 'int8';
  if (type.includes('INT')) return 'int4';
  if (type === 'BIT' || type === 'BOOLEAN' || type === 'BOOL') return 'bit';
  if (/REAL|FLOA|DOUB|DECIMAL|NUMERIC|MONEY/u.test(type)) return 'float';
  if (/BLOB|BINARY|IMAGE/u.test(type)) return 'binary';
  if (type === 'DATETIMEOFFSET') return 'datetimeoffset';
  if (type === 'DATETIME2' || type === 'DATETIME' || type === 'SMALLDATETIME') return 'datetime2';
  return 'text';
}

function fits(kind: ColumnKind, value: unknown): boolean {
  switch (kind) {
    case 'int4':
      return isInteger(value) && inRange(value, INT32_MIN, INT32_MAX);
    case 'int8':
      return isInteger(value) && inRange(value, INT64_MIN, INT64_MAX);
    case 'bit':
      return isInteger(value) && (BigInt(value) === 0n || BigInt(value) === 1n);
    case 'float':
      return typeof value === 'number' || typeof value === 'bigint';
    case 'binary':
      return Buffer.isBuffer(value);
    case 'datetime2':
    case 'datetimeoffset':
      return typeof value === 'string' && parseStoredDate(value) !== undefined;
    case 'text':
      return true;
  }
}

/** SQLite is dynamically typed: a column's wire type is its declared type when every value fits, else what the values are. */
function chooseKind(declared: string | null, values: readonly unknown[]): ColumnKind {
  const present = values.filter((value) => value !== null && value !== undefined);
  const wanted = declaredKind(declared);
  if (wanted !== undefined && present.every((value) => fits(wanted, value))) return wanted;
  if (wanted === 'int4' && present.every((value) => fits('int8', value))) return 'int8';
  if (wanted !== undefined && present.length === 0) return wanted;
  const inferred: ColumnKind[] = ['int4', 'int8', 'float', 'binary'];
  return inferred.find((kind) => present.length > 0 && present.every((value) => fits(kind, value))) ?? 'text';
}

// ---------------------------------------------------------------------------------------------------
// SQLite errors → SQL Server error numbers

function lastNamePart(name: string): string {
  return name.split('.').at(-1) ?? name;
}

function toServerError(error: unknown, statement: TranslatedStatement | undefined): ServerError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const base = { state: 1, severity: USER_ERROR_SEVERITY, serverName: SERVER_NAME };
  let match: RegExpExecArray | null;
  if ((match = /^no such column: (.+)$/u.exec(message))) return { ...base, number: 207, message: `Invalid column name '${lastNamePart(match[1] ?? '')}'.` };
  if ((match = /^no such table: (.+)$/u.exec(message))) return { ...base, number: 208, message: `Invalid object name '${match[1] ?? ''}'.` };
  if ((match = /^(?:UNIQUE|PRIMARY KEY) constraint failed: ([^.,\s]+)\.([^,\s]+)/u.exec(message))) {
    const [, table = '', column = ''] = match;
    const constraint = code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? `PRIMARY KEY constraint 'PK_${table}'` : `UNIQUE KEY constraint 'UQ_${table}_${column}'`;
    return { ...base, severity: 14, number: 2627, message: `Violation of ${constraint}. Cannot insert duplicate key in object 'dbo.${table}'.` };
  }
  if ((match = /^NOT NULL constraint failed: ([^.\s]+)\.(\S+)/u.exec(message))) {
    const verb = statement?.original.trimStart().split(/\s/u, 1)[0]?.toUpperCase() ?? 'INSERT';
    return {
      ...base,
      number: 515,
      message: `Cannot insert the value NULL into column '${match[2] ?? ''}', table 'dbo.${match[1] ?? ''}'; column does not allow nulls. ${verb} fails.`,
    };
  }
  if ((match = /near "(.*)": syntax error/u.exec(message))) return { ...base, number: 102, message: `Incorrect syntax near '${match[1] ?? ''}'.` };
  if (/incomplete input/u.test(message)) return { ...base, number: 102, message: 'Incorrect syntax near the end of the batch.' };
  if ((match = /^Missing named parameter "(.+)"/u.exec(message))) return { ...base, number: 137, message: `Must declare the scalar variable "@${match[1] ?? ''}".` };
  return { ...base, number: 50000, message };
}

// ---------------------------------------------------------------------------------------------------
// Execution

type Parameters = Readonly<Record<string, ParameterValue>>;

function bindingsFor(statement: TranslatedStatement, parameters: Parameters): Record<string, ParameterValue> {
  const byLowerName = new Map(Object.entries(parameters).map(([name, value]) => [name.toLowerCase(), value]));
  const bindings: Record<string, ParameterValue> = {};
  for (const name of statement.parameterNames) {
    // SQL Server parameter names are case-insensitive; SQLite's are not. An unknown name is left
    // out so that SQLite reports it (mapped to error 137).
    if (Object.hasOwn(parameters, name)) bindings[name] = parameters[name] ?? null;
    else if (byLowerName.has(name.toLowerCase())) bindings[name] = byLowerName.get(name.toLowerCase()) ?? null;
  }
  return bindings;
}

function runStatement(database: Database, statement: TranslatedStatement, sqlite: string, parameters: Parameters, doneKind: DoneKind, status: number): Buffer[] {
  const prepared: Statement = database.prepare(sqlite);
  const bindings = bindingsFor(statement, parameters);
  const args = statement.parameterNames.length === 0 ? [] : [bindings];
  if (!prepared.reader) {
    const info = prepared.run(...args);
    return statement.countsRows ? [encodeDone(doneKind, status | DoneStatus.Count, info.changes)] : [encodeDone(doneKind, status, 0)];
  }
  // Safe integers keep 64-bit values exact; `raw` keeps duplicate column names apart.
  const rows = prepared.safeIntegers(true).raw(true).all(...args) as unknown[][];
  const columns: ResultColumn[] = prepared.columns().map((column, index) => ({
    name: column.name,
    kind: chooseKind(column.type, rows.map((row) => row[index])),
  }));
  return [encodeColumnMetadata(columns), ...rows.map((row) => encodeRow(columns, row)), encodeDone(doneKind, status | DoneStatus.Count, rows.length)];
}

/**
 * Runs every statement of a batch or sp_executesql text. Execution stops at the first error, which is
 * reported with an ERROR token; earlier results have already been sent, as a real server would.
 */
function runStatements(database: Database, sql: string, parameters: Parameters, doneKind: DoneKind): { tokens: Buffer[]; failed: boolean } {
  const tokens: Buffer[] = [];
  let statements: TranslatedStatement[];
  try {
    statements = translateTsql(sql);
  } catch (error) {
    return { tokens: [encodeError(toServerError(error, undefined))], failed: true };
  }
  for (const [index, statement] of statements.entries()) {
    const isLast = index === statements.length - 1;
    // Inside an RPC the RETURNSTATUS and DONEPROC still follow, so every DONEINPROC says "more".
    const status = doneKind === 'doneInProc' || !isLast ? DoneStatus.More : DoneStatus.Final;
    if (statement.sqlite === undefined) {
      tokens.push(encodeDone(doneKind, status, 0));
      continue;
    }
    try {
      tokens.push(...runStatement(database, statement, statement.sqlite, parameters, doneKind, status));
    } catch (error) {
      tokens.push(encodeError(toServerError(error, statement)));
      return { tokens, failed: true };
    }
  }
  if (statements.length === 0 && doneKind === 'done') tokens.push(encodeDone('done', DoneStatus.Final, 0));
  return { tokens, failed: false };
}

/** `@P1 nvarchar(4000), @P2 int` → ['P1', 'P2'], to name positional parameter values. */
function declaredParameterNames(declarations: string): string[] {
  return [...declarations.matchAll(/@([\p{L}\p{N}_$#]+)/gu)].map((match) => match[1] ?? '');
}

function isExecuteSql(call: RpcCall): boolean {
  if (call.procedureId !== undefined) return call.procedureId === SP_EXECUTESQL_ID;
  const name = (call.procedureName ?? '').replace(/[[\]]/gu, '').toLowerCase();
  return name === 'sp_executesql' || name === 'sys.sp_executesql' || name === 'master.sys.sp_executesql';
}

// ---------------------------------------------------------------------------------------------------
// Connections

interface ServerContext {
  readonly database: Database;
  readonly user: string;
  readonly password: string;
  readonly databaseName: string;
  readonly queries: TdsQueryLog[];
  silent: boolean;
}

interface Session {
  loggedIn: boolean;
  packetSize: number;
  readonly spid: number;
  /** Requests swallowed while silent; each still owes the client a (cancelled) response message. */
  unansweredRequests: number;
}

function errorMessage(number: number, message: string, severity = USER_ERROR_SEVERITY): Buffer {
  return encodeError({ number, state: 1, severity, message, serverName: SERVER_NAME });
}

function answerLogin(context: ServerContext, session: Session, payload: Buffer): Answer {
  const login = decodeLogin7(payload);
  if (login.userName !== context.user || login.password !== context.password) {
    const reply = Buffer.concat([errorMessage(18456, `Login failed for user '${login.userName}'.`, 14), encodeDone('done', DoneStatus.Error, 0)]);
    return single(reply, true);
  }
  if (login.database !== '' && login.database.toLowerCase() !== context.databaseName.toLowerCase()) {
    const message = `Cannot open database "${login.database}" requested by the login. The login failed.`;
    return single(Buffer.concat([errorMessage(4060, message, 11), encodeDone('done', DoneStatus.Error, 0)]), true);
  }
  const requested = login.packetSize === 0 ? DEFAULT_PACKET_SIZE : login.packetSize;
  session.packetSize = Math.min(MAX_PACKET_SIZE, Math.max(MIN_PACKET_SIZE, requested));
  session.loggedIn = true;
  return single(encodeLoginSuccess(context.databaseName, session.packetSize, PROGRAM_NAME));
}

function answerRpc(context: ServerContext, payload: Buffer): Buffer {
  let calls: RpcCall[];
  try {
    calls = decodeRpc(payload);
  } catch (error) {
    if (!(error instanceof TdsUnsupportedError)) throw error;
    return Buffer.concat([errorMessage(50000, error.message), encodeDone('doneProc', DoneStatus.Error, 0)]);
  }
  const tokens: Buffer[] = [];
  for (const [index, call] of calls.entries()) {
    const status = index < calls.length - 1 ? DoneStatus.More : DoneStatus.Final;
    if (!isExecuteSql(call)) {
      const name = call.procedureName ?? `procedure id ${call.procedureId ?? '?'}`;
      tokens.push(errorMessage(2812, `Could not find stored procedure '${name}'.`), encodeDone('doneProc', status | DoneStatus.Error, 0));
      continue;
    }
    const [statement, second, ...rest] = call.parameters;
    const hasDeclarations = second !== undefined && typeof second.value === 'string' && (second.name.toLowerCase() === '@params' || (second.name === '' && second.value.trimStart().startsWith('@')));
    const values = hasDeclarations ? rest : call.parameters.slice(1);
    const positionalNames = hasDeclarations && typeof second.value === 'string' ? declaredParameterNames(second.value) : [];
    const parameters: Record<string, ParameterValue> = {};
    values.forEach((parameter, position) => {
      const name = parameter.name === '' ? (positionalNames[position] ?? `P${position + 1}`) : parameter.name.replace(/^@/u, '');
      parameters[name] = parameter.value;
    });
    const sql = typeof statement?.value === 'string' ? statement.value : '';
    context.queries.push({ sql, parameters: { ...parameters } });
    const result = runStatements(context.database, sql, parameters, 'doneInProc');
    tokens.push(...result.tokens);
    if (result.failed) tokens.push(encodeDone('doneProc', status | DoneStatus.Error, 0));
    else tokens.push(encodeReturnStatus(0), encodeDone('doneProc', status, 0));
  }
  return Buffer.concat(tokens);
}

function answerBatch(context: ServerContext, payload: Buffer): Buffer {
  const sql = decodeSqlBatch(payload);
  context.queries.push({ sql, parameters: {} });
  const result = runStatements(context.database, sql, {}, 'done');
  if (result.failed) result.tokens.push(encodeDone('done', DoneStatus.Error, 0));
  return Buffer.concat(result.tokens);
}

/** Reply messages (each one TDS message) to one request message. */
interface Answer {
  readonly replies: readonly Buffer[];
  readonly close: boolean;
}

const single = (reply: Buffer, close = false): Answer => ({ replies: [reply], close });

/**
 * tedious reads one more message as the response to the cancelled request and only then waits for the
 * acknowledgement in a message of its own, so a request swallowed while silent is answered with an
 * empty response first. A request answered in full needs the acknowledgement only.
 */
function answerAttention(session: Session): Answer {
  const cancelled = Array.from({ length: session.unansweredRequests }, () => encodeDone('done', DoneStatus.Final, 0));
  session.unansweredRequests = 0;
  return { replies: [...cancelled, encodeDone('done', DoneStatus.AttentionAck, 0)], close: false };
}

function answer(context: ServerContext, session: Session, message: TdsMessage): Answer {
  switch (message.type) {
    case PacketType.Prelogin:
      if (session.loggedIn) throw new TdsProtocolError('PRELOGIN after login');
      return single(encodePreloginResponse(session.spid));
    case PacketType.Login7:
      if (session.loggedIn) throw new TdsProtocolError('second LOGIN7');
      return answerLogin(context, session, message.payload);
    case PacketType.Attention:
      return answerAttention(session);
    default:
      break;
  }
  if (!session.loggedIn) throw new TdsProtocolError(`request type 0x${message.type.toString(16)} before login`);
  switch (message.type) {
    case PacketType.SqlBatch:
      return single(answerBatch(context, message.payload));
    case PacketType.Rpc:
      return single(answerRpc(context, message.payload));
    case PacketType.TransactionManager: {
      const message = 'Transaction manager requests are not supported by the TDS test server; use BEGIN TRANSACTION in SQL.';
      return single(Buffer.concat([errorMessage(50000, message), encodeDone('done', DoneStatus.Error, 0)]));
    }
    default:
      throw new TdsProtocolError(`unknown request type 0x${message.type.toString(16)}`);
  }
}

function serveConnection(context: ServerContext, socket: Socket, spid: number): void {
  const reader = new TdsMessageReader();
  const session: Session = { loggedIn: false, packetSize: DEFAULT_PACKET_SIZE, spid, unansweredRequests: 0 };
  socket.setNoDelay(true);
  // A reset from the client must not become an unhandled 'error' event in the test process.
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const message of reader.push(chunk)) {
        if (context.silent) {
          if (message.type === PacketType.SqlBatch || message.type === PacketType.Rpc) session.unansweredRequests += 1;
          continue;
        }
        const answered = answer(context, session, message);
        if (socket.destroyed) return;
        for (const reply of answered.replies) socket.write(encodePackets(PacketType.TabularResult, reply, session.packetSize, spid));
        if (answered.close) {
          socket.end();
          return;
        }
      }
    } catch {
      // Malformed input (or a bug here) costs this connection only, never the test process.
      socket.destroy();
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Server lifecycle

export async function startTdsServer(options: TdsServerOptions = {}): Promise<TdsServer> {
  const database = options.database ?? new BetterSqlite3(':memory:');
  // SQL Server's LOWER() and UPPER() fold every alphabet of an nvarchar value; SQLite's fold ASCII only.
  registerCaseFolding(database, { lower: 'lower', upper: 'upper' });
  const context: ServerContext = {
    database,
    user: options.user ?? 'sa',
    password: options.password ?? 'Legacy-Idp-Test-1',
    databaseName: options.databaseName ?? 'legacy',
    queries: [],
    silent: false,
  };
  const sockets = new Set<Socket>();
  let nextSpid = 51;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(context, socket, nextSpid);
    nextSpid = nextSpid >= 0x7fff ? 51 : nextSpid + 1;
  });
  const port = await listenTcp(server, options.port ?? 0, HOST);

  return {
    host: HOST,
    port,
    database: context.database,
    mssqlConfig: {
      server: HOST,
      port,
      user: context.user,
      password: context.password,
      database: context.databaseName,
      options: { encrypt: false, trustServerCertificate: true },
    },
    queries: context.queries,
    setSilent(silent) {
      context.silent = silent;
    },
    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      });
    },
    async restart() {
      if (server.listening) return;
      await listenTcp(server, port, HOST);
    },
  };
}
