import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import { createAuthenticator } from '../core/authenticator.js';
import { publicProfile } from '../core/contracts.js';
import { LegacyIdpError, isLegacyIdpError } from '../core/errors.js';
import { jsonLogger, silentLogger } from '../core/logger.js';
import { loadConfig, openStore } from './config.js';
import { readPassword } from './password-input.js';

export interface CliIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted to stop a long-running command (`serve`, `premigrate`): SIGINT, SIGTERM or SIGHUP in the real CLI. */
  stopSignal?: AbortSignal;
}

/** Exit codes, documented in docs/cli.md. */
export const exitCodes = { valid: 0, rejected: 1, usage: 2, unavailable: 3, internal: 70 } as const;

// src/cli and dist/cli both sit two levels below the package root.
/**
 * The package root: the nearest folder above this module whose package.json is ours. Not a fixed number of
 * levels: the bundler may place this code in a shared chunk at the top of dist/.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (manifest.name === 'legacy-idp') return `${dir}/`;
    } catch {
      // No package.json here: go up.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('legacy-idp: cannot find the package root');
    dir = parent;
  }
}
const packageRoot = findPackageRoot();
export const demoConfigPath = `${packageRoot}examples/demo/legacy-idp.json`;

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string };
  return manifest.version;
}

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run: (values: Record<string, string | boolean | undefined>, io: CliIo, positionals: readonly string[]) => Promise<number>;
  /** Takes positional arguments (a subcommand, a file). */
  positionals?: boolean;
}

const help = { help: { type: 'boolean', short: 'h' } } as const;

const commands: Record<string, Command> = {
  'check-login': {
    summary: 'Check one username and password against the configured store; prints the outcome as JSON',
    usage: [
      'legacy-idp check-login --username <name> [--config <file>]',
      '',
      'The password is read from standard input (one trailing newline dropped) or, on a terminal, from a',
      'hidden prompt. Without --config the bundled demo users are used (examples/demo/users.jsonl).',
      '',
      'Exit status: 0 valid, 1 any other sign-in outcome, 2 usage or config error, 3 store unavailable, 70 internal error.',
    ].join('\n'),
    options: { ...help, config: { type: 'string', short: 'c' }, username: { type: 'string', short: 'u' } },
    run: checkLogin,
  },
  doctor: {
    summary: 'Validate a config file, open its store, and list which optional backends are installed',
    usage: [
      'legacy-idp doctor [--config <file>]',
      '',
      'Checks the config file (and its serve, lockout and premigrate sections) and looks up a name no one has in',
      'its store. Exit status: 0 ok, 2 config error, 3 store unavailable (the report says ok: false), 70 internal error.',
    ].join('\n'),
    options: { ...help, config: { type: 'string', short: 'c' } },
    run: doctor,
  },
  serve: {
    summary: 'Run the just-in-time migration endpoint (B2C, Entra External ID, generic JSON)',
    usage: [
      'legacy-idp serve [--config <file>] [--port <n>]',
      '',
      'Without --config: the embedded default (bundled demo users, in-memory lockout, every protocol on',
      '127.0.0.1, an API key made for this run) and ready-to-paste curl lines. With --config: the file\'s',
      '"serve" and "lockout" sections (docs/serve.md). --port 0 picks a free port. Stops on SIGINT/SIGTERM/SIGHUP.',
    ].join('\n'),
    options: { ...help, config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' } },
    run: async (values, io) => {
      const embedded = typeof values.config !== 'string';
      const loaded = await loadConfig(embedded ? demoConfigPath : (values.config as string));
      const { serve } = await import('./serve.js');
      return serve(values, io, loaded, embedded);
    },
  },
  hashes: {
    summary: 'List, identify, verify and test legacy password hashes',
    usage: [
      'legacy-idp hashes list [--json]',
      '       legacy-idp hashes identify <hash>',
      '       legacy-idp hashes verify --hash <hash> [--scheme <id|auto>] [--context <json>]   (password on stdin)',
      '       legacy-idp hashes test <file.jsonl> [--scheme <id|auto>] [--json]',
      '',
      'A test file has one JSON object per line: {"scheme"?: "<id>|auto", "hash": "...", "password": "...",',
      '"context"?: {...}, "expect"?: true|false} (expect absent = true). A line without a scheme takes',
      '--scheme, else the file\'s name when it is a scheme id (hex_md5.jsonl), else auto. Lines whose verdict',
      'differs from "expect" are printed by line number (never the password or hash), then',
      '"N passed, M failed". Exit status 0 only when every line passes.',
    ].join('\n'),
    options: { ...help, json: { type: 'boolean' }, scheme: { type: 'string', short: 's' }, hash: { type: 'string' }, context: { type: 'string' } },
    positionals: true,
    run: async (values, io, positionals) => {
      const { hashesCommand } = await import('./hashes-command.js');
      return hashesCommand(positionals, values, io);
    },
  },
  premigrate: {
    summary: 'Bulk-create every legacy user in Entra External ID / Azure AD B2C (or a JSONL file)',
    usage: [
      'legacy-idp premigrate --config <file> [--dry-run] [--retry-failed] [--register-extensions] [--journal <file>]',
      '       legacy-idp premigrate --config <file> --reconcile',
      '',
      'Reads every user of the config\'s store, maps it per the "premigrate" section and creates it through',
      'Microsoft Graph ($batch, paced to the quotas) or writes the payloads to a JSONL file. A journal records',
      'every outcome: run again after a crash and it resumes, creating nobody twice. --dry-run maps and checks',
      'everything and creates nothing. --retry-failed sends the failed users again. --reconcile lists users',
      'missing on either side. Writes a JSON report and a CSV of failures (docs/premigrate.md).',
      '',
      'Exit status: 0 every user created or already there, 1 some users failed (see the report), 2 usage or config error.',
    ].join('\n'),
    options: {
      ...help,
      config: { type: 'string', short: 'c' },
      'dry-run': { type: 'boolean' },
      'retry-failed': { type: 'boolean' },
      reconcile: { type: 'boolean' },
      'register-extensions': { type: 'boolean' },
      journal: { type: 'string' },
    },
    run: async (values, io) => {
      if (typeof values.config !== 'string') throw usage('premigrate needs --config <file> (the store and the "premigrate" section)');
      const loaded = await loadConfig(values.config);
      const { premigrate } = await import('./premigrate.js');
      return premigrate(values, io, loaded);
    },
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return [
    'legacy-idp: move user accounts, passwords included, off legacy identity stores.',
    '',
    'Usage: legacy-idp <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     Show help (legacy-idp <command> --help for a command)',
    '  -v, --version  Print the version',
    '',
  ].join('\n');
}

/** parseArgs adds advice after its message ("To specify an option argument...", on its own lines on Node 20): keep one line. */
function firstSentence(message: string): string {
  return message.replace(/\.?\s*To specify .*$/su, '').replace(/\s*\r?\n\s*/gu, ' ').trim();
}

const usage = (message: string): LegacyIdpError => new LegacyIdpError('ERR_LEGACY_IDP_USAGE', message);

async function checkLogin(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number> {
  const username = values.username;
  if (typeof username !== 'string' || username.length === 0) throw usage('check-login needs --username <name>');
  const configPath = typeof values.config === 'string' ? values.config : demoConfigPath;
  if (values.config === undefined) io.stderr.write(`legacy-idp: no --config given, using the bundled demo users (${demoConfigPath})\n`);
  const loaded = await loadConfig(configPath);
  const { log, normalization, deadlineMs } = loaded.config;
  const store = await openStore(loaded);
  const authenticator = createAuthenticator({
    verifier: store,
    profiles: store,
    ...(normalization ? { normalization } : {}),
    logger: log.level === 'silent' ? silentLogger : jsonLogger({ level: log.level, write: (line) => io.stderr.write(`${line}\n`) }),
    defaultDeadlineMs: deadlineMs,
  });
  try {
    const password = await readPassword(io);
    const result = await authenticator.authenticate({ username, password });
    const report = {
      username: result.username,
      outcome: result.outcome,
      profile: result.profile ? publicProfile(result.profile) : null,
    };
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (result.outcome.status === 'valid') return exitCodes.valid;
    return result.outcome.status === 'unavailable' ? exitCodes.unavailable : exitCodes.rejected;
  } finally {
    await authenticator.close();
  }
}

/** Optional backends, by the package the user must install for them. */
const optionalPackages = ['ldapts', 'mssql', 'pg', 'mysql2', 'better-sqlite3', 'mongodb', 'ioredis', 'argon2'];

function isInstalled(name: string): boolean {
  const require = createRequire(import.meta.url);
  try {
    require.resolve(name);
    return true;
  } catch (error) {
    // ESM-only packages (ldapts) have no "require" export, which still proves they are installed.
    return (error as { code?: unknown }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
  }
}

async function doctor(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number> {
  const configPath = typeof values.config === 'string' ? values.config : demoConfigPath;
  const loaded = await loadConfig(configPath);
  // The other commands' sections, checked by their own schemas so that a mistake shows now, not at `serve` time.
  if (loaded.raw['serve'] !== undefined || loaded.raw['lockout'] !== undefined) {
    const { parseServeSection, parseLockoutSection } = await import('./serve.js');
    if (loaded.raw['serve'] !== undefined) parseServeSection(loaded, io.env);
    parseLockoutSection(loaded, io.env);
  }
  if (loaded.raw['premigrate'] !== undefined) {
    const { parsePremigrateSection } = await import('./premigrate.js');
    parsePremigrateSection(loaded, io.env);
  }
  const store = await openStore(loaded);
  // Stores connect lazily: only a lookup proves the store answers (the probe behind serve's /readyz).
  let unavailable: string | undefined;
  try {
    const { probeStore } = await import('./serve.js');
    await probeStore(store);
  } catch (error) {
    // A store option only its first connection checks is still the config's mistake (exit 2).
    if (isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_INVALID')) throw error;
    // The code only: a driver's message may quote the connection string.
    unavailable = isLegacyIdpError(error) ? error.code : error instanceof Error ? error.name : 'unknown error';
  } finally {
    await store.close?.().catch(() => undefined);
  }
  const report = {
    version: packageVersion(),
    node: process.version,
    config: { path: loaded.path, store: loaded.config.store.type, ok: unavailable === undefined, ...(unavailable === undefined ? {} : { error: unavailable }) },
    optionalPackages: Object.fromEntries(optionalPackages.map((name) => [name, isInstalled(name) ? 'installed' : 'missing'])),
  };
  io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (unavailable !== undefined) {
    io.stderr.write(`legacy-idp: doctor: the ${loaded.config.store.type} store did not answer a lookup (${unavailable})\n`);
    return exitCodes.unavailable;
  }
  return exitCodes.valid;
}

/** Runs the CLI and returns the exit status. User errors print one line and no stack. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      io.stdout.write(mainHelp());
      return name === undefined ? exitCodes.usage : exitCodes.valid;
    }
    if (name === '-v' || name === '--version') {
      io.stdout.write(`${packageVersion()}\n`);
      return exitCodes.valid;
    }
    const command = commands[name];
    if (!command) throw usage(`unknown command "${name}" (see legacy-idp --help)`);
    let values: Record<string, string | boolean | undefined>;
    let positionals: readonly string[];
    try {
      // No option is declared `multiple`, so no value is an array.
      const parsed = parseArgs({ args: [...rest], options: command.options, strict: true, allowPositionals: command.positionals === true });
      values = parsed.values as Record<string, string | boolean | undefined>;
      positionals = parsed.positionals;
    } catch (error) {
      throw usage(`${name}: ${error instanceof Error ? firstSentence(error.message) : 'invalid arguments'}`);
    }
    if (values.help === true) {
      io.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
      return exitCodes.valid;
    }
    return await command.run(values, io, positionals);
  } catch (error) {
    if (isLegacyIdpError(error)) {
      io.stderr.write(`legacy-idp: ${error.message} [${error.code}]\n`);
      return exitCodes.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`legacy-idp: internal error: ${message}\n`);
    if (io.env.LEGACY_IDP_DEBUG === '1' && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return exitCodes.internal;
  }
}
