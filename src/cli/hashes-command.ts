import { createReadStream } from 'node:fs';
import { parse as parsePath } from 'node:path';
import { createInterface } from 'node:readline';
import { LegacyIdpError, isLegacyIdpError } from '../core/errors.js';
import type { HashRegistry } from '../hashes/registry.js';
import type { HashContext } from '../hashes/types.js';
import type { CliIo } from './cli.js';
import { readPassword } from './password-input.js';

/**
 * `legacy-idp hashes list | identify | verify | test`: how operators check their exported hashes against the
 * registry before migrating. Output never contains a password or a stored hash, only line numbers and ids.
 */
export type HashesValues = Record<string, string | boolean | undefined>;

const usage = (message: string): LegacyIdpError => new LegacyIdpError('ERR_LEGACY_IDP_USAGE', message);

function parseContext(text: string | undefined, where: string): HashContext {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw usage(`${where}: context is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usage(`${where}: context must be a JSON object`);
  return value as HashContext;
}

interface TestLine {
  scheme?: string;
  hash: string;
  password: string;
  context?: HashContext;
  expect: boolean;
}

/**
 * One line of a test file; `format`/`expected` are accepted as aliases, the vector files' spelling (whose lines
 * name no scheme: the file's name does, see `defaultTestScheme`).
 */
function parseTestLine(text: string): TestLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`not valid JSON`);
  }
  if (typeof value !== 'object' || value === null) throw new Error(`not a JSON object`);
  const record = value as Record<string, unknown>;
  const scheme = record.scheme ?? record.format;
  const expectValue = record.expect ?? record.expected ?? true;
  if (typeof record.hash !== 'string' || typeof record.password !== 'string') throw new Error(`"hash" and "password" must be strings`);
  if (scheme !== undefined && typeof scheme !== 'string') throw new Error(`"scheme" must be a string`);
  if (typeof expectValue !== 'boolean') throw new Error(`"expect" must be true or false`);
  const context = record.context;
  if (context !== undefined && (typeof context !== 'object' || context === null || Array.isArray(context))) throw new Error(`"context" must be an object`);
  return {
    hash: record.hash,
    password: record.password,
    expect: expectValue,
    ...(scheme === undefined ? {} : { scheme }),
    ...(context === undefined ? {} : { context: context as HashContext }),
  };
}

interface LineResult {
  line: number;
  scheme: string;
  outcome: 'passed' | 'failed' | 'unsupported';
  reason?: string;
}

export async function hashesCommand(positionals: readonly string[], values: HashesValues, io: CliIo): Promise<number> {
  const [sub, argument, ...extra] = positionals;
  if (extra.length > 0) throw usage(`hashes ${sub ?? ''}: unexpected argument "${extra[0] ?? ''}"`);
  const { createHashRegistry } = await import('../hashes/registry.js');
  const registry = createHashRegistry();
  try {
    switch (sub) {
      case 'list': {
        const schemes = registry.list();
        if (values.json === true) io.stdout.write(`${JSON.stringify(schemes, null, 2)}\n`);
        else {
          const width = Math.max(...schemes.map((s) => s.id.length));
          for (const s of schemes) io.stdout.write(`${s.id.padEnd(width)}  ${s.family.padEnd(11)}  ${s.canHash ? 'can hash' : '        '}  ${s.example}\n`);
          io.stdout.write(`${schemes.length} schemes\n`);
        }
        return 0;
      }
      case 'identify': {
        if (argument === undefined) throw usage('hashes identify needs a hash argument');
        const ids = registry.identify(argument);
        io.stdout.write(`${JSON.stringify(ids)}\n`);
        return ids.length > 0 ? 0 : 1;
      }
      case 'verify': {
        const hash = values.hash;
        if (typeof hash !== 'string') throw usage('hashes verify needs --hash <hash>');
        const scheme = typeof values.scheme === 'string' ? values.scheme : 'auto';
        const context = parseContext(typeof values.context === 'string' ? values.context : undefined, '--context');
        const password = await readPassword(io);
        const result = await registry.verify(password, hash, { scheme, context });
        io.stdout.write(`${JSON.stringify(result)}\n`);
        return result.valid ? 0 : 1;
      }
      case 'test': {
        if (argument === undefined) throw usage('hashes test needs a file (JSON lines)');
        return await runTestFile(argument, registry, { json: values.json === true, ...defaultTestScheme(argument, values.scheme, registry) }, io);
      }
      default:
        throw usage(`hashes: unknown subcommand "${sub ?? ''}" (list, identify, verify, test)`);
    }
  } finally {
    await registry.close();
  }
}

type Registry = HashRegistry;

/**
 * The scheme of the lines that name none: `--scheme`, else the file's name when it is a scheme id (the vector
 * files, test/vectors/<scheme>.jsonl, name their scheme that way only), else `auto`.
 */
function defaultTestScheme(path: string, flag: string | boolean | undefined, registry: Registry): { scheme: string; fromFileName: boolean } {
  if (typeof flag === 'string') {
    if (flag !== 'auto' && registry.get(flag) === undefined) throw usage(`hashes test: --scheme "${flag}" is not a scheme id (legacy-idp hashes list)`);
    return { scheme: flag, fromFileName: false };
  }
  const name = parsePath(path).name;
  return registry.get(name) === undefined ? { scheme: 'auto', fromFileName: false } : { scheme: name, fromFileName: true };
}

async function checkLine(registry: Registry, text: string, line: number, defaultScheme: string): Promise<LineResult> {
  let parsed: TestLine;
  try {
    parsed = parseTestLine(text);
  } catch (error) {
    return { line, scheme: '?', outcome: 'failed', reason: (error as Error).message };
  }
  const scheme = parsed.scheme ?? defaultScheme;
  try {
    const result = await registry.verify(parsed.password, parsed.hash, { scheme, context: parsed.context ?? {} });
    return result.valid === parsed.expect
      ? { line, scheme: result.scheme, outcome: 'passed' }
      : { line, scheme: result.scheme, outcome: 'failed', reason: `expected ${parsed.expect ? 'valid' : 'invalid'}, got ${result.valid ? 'valid' : 'invalid'}` };
  } catch (error) {
    if (isLegacyIdpError(error, 'ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME')) return { line, scheme, outcome: 'unsupported', reason: error.message };
    // A hash its scheme refuses as malformed is a correct answer for a line that expects "invalid"; any other
    // refusal (a missing context key, a missing optional dependency) means the line was never checked.
    if (!parsed.expect && isLegacyIdpError(error, 'ERR_LEGACY_IDP_HASH_MALFORMED')) return { line, scheme, outcome: 'passed' };
    return { line, scheme, outcome: 'failed', reason: isLegacyIdpError(error) ? `${error.code}: ${error.message}` : 'internal error' };
  }
}

async function runTestFile(path: string, registry: Registry, options: { json: boolean; scheme: string; fromFileName: boolean }, io: CliIo): Promise<number> {
  const { json } = options;
  const input = createReadStream(path, { encoding: 'utf8' });
  // Opening a folder succeeds; reading it fails (EISDIR): wait for the first chunk or the end, not just 'open'.
  const readable = new Promise<void>((resolve, reject) => {
    input.once('readable', () => {
      resolve();
    });
    input.once('error', reject);
  });
  try {
    await readable;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error });
  }
  // Said, because an export that happens to be named after a scheme is no longer detected line by line.
  if (options.fromFileName) io.stderr.write(`legacy-idp: hashes test: lines without a scheme are checked as ${options.scheme}, the file's name (--scheme auto detects each one)\n`);
  const lines = createInterface({ input, crlfDelay: Infinity });
  // A window of verifications in flight keeps every core busy while memory stays flat in the file size.
  const window = 64;
  const inFlight = new Set<Promise<void>>();
  const notable: LineResult[] = [];
  const totals = { total: 0, passed: 0, failed: 0, unsupported: 0 };
  const byScheme: Record<string, { passed: number; failed: number }> = {};
  let lineNumber = 0;
  for await (const read of lines) {
    lineNumber++;
    // Editors on Windows start a UTF-8 file with a byte order mark, which JSON.parse refuses.
    const text = lineNumber === 1 ? read.replace(/^\uFEFF/u, '') : read;
    if (text.trim() === '') continue;
    const line = lineNumber;
    const task = checkLine(registry, text, line, options.scheme).then((result) => {
      totals.total++;
      totals[result.outcome]++;
      const entry = (byScheme[result.scheme] ??= { passed: 0, failed: 0 });
      if (result.outcome === 'passed') entry.passed++;
      else entry.failed++;
      if (result.outcome !== 'passed') notable.push(result);
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  // An empty file (a failed export) must not pass as "every line passed".
  if (totals.total === 0) {
    io.stderr.write(`legacy-idp: hashes test: ${path} has no test lines\n`);
    return 1;
  }
  if (json) {
    io.stdout.write(`${JSON.stringify({ ...totals, byScheme }, null, 2)}\n`);
  } else {
    notable.sort((a, b) => a.line - b.line);
    for (const result of notable) io.stdout.write(`line ${result.line}: ${result.scheme}: ${result.outcome === 'unsupported' ? 'unsupported scheme' : (result.reason ?? 'failed')}\n`);
    io.stdout.write(`${totals.passed} passed, ${totals.failed + totals.unsupported} failed\n`);
  }
  return totals.failed + totals.unsupported === 0 ? 0 : 1;
}
