#!/usr/bin/env node
// Checks the *published* package, as a consumer gets it. Run after `npm run build`:
//
//   node scripts/check-package.mjs [--keep]
//
// 1. `npm pack` into a temp dir (lifecycle scripts ignored);
// 2. publint, strict, on that tarball: any warning or error fails (suggestions are printed only);
// 3. attw (`@arethetypeswrong/cli`) on that tarball with the `node16` profile (Node >= 20, ESM + CJS;
//    node10 resolution is not a target): any problem fails;
// 4. installs the tarball into an empty temp project, then for every subpath of package.json "exports"
//    (except ./package.json) imports it as ESM and requires it as CJS in fresh child processes, asserting
//    each yields at least one named export and records every module resolution the child *attempts*
//    (an ESM resolve hook registered with module.register plus a Module._resolveFilename wrapper and
//    require.cache). A subpath that attempts to load an optional peer that ALLOWED_OPTIONAL_PEERS does
//    not grant it fails, even though the peer is not installed there (the attempt is what counts);
// 5. runs the installed bin with --version and checks it prints the package version (same recording).
//
// --keep leaves the temp dirs in place and prints where they are.

import { execFile } from 'node:child_process';
import console from 'node:console';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Optional peer packages: only the subpath whose backend needs one may ever try to load it. */
export const OPTIONAL_PEERS = ['ldapts', 'mssql', 'mongodb', 'ioredis', 'argon2', '@node-rs/argon2', 'bcrypt', '@node-rs/bcrypt', 'pg', 'mysql2', 'better-sqlite3'];

/**
 * Export subpath (or "bin") -> optional peers it may load. Anything absent here may load none.
 * Lazy loading on first use is the rule even where a peer is allowed; this map only says which subpath
 * may reference which driver at all.
 */
export const ALLOWED_OPTIONAL_PEERS = {
  './ldap': ['ldapts'],
  './sql': ['mssql', 'pg', 'mysql2', 'better-sqlite3'],
  './mongo': ['mongodb'],
  './lockout/redis': ['ioredis'],
  './hashes': ['argon2', '@node-rs/argon2', 'bcrypt', '@node-rs/bcrypt'],
};

/** @param {string} subpath */
export function allowedPeersFor(subpath) {
  return /** @type {Record<string, string[] | undefined>} */ (ALLOWED_OPTIONAL_PEERS)[subpath] ?? [];
}

/**
 * The package a bare specifier or a resolved path/URL belongs to, or undefined for builtins, relative
 * and absolute specifiers outside node_modules, data: URLs, "#imports" ...
 * @param {string} specifierOrUrl
 * @returns {string | undefined}
 */
export function packageOf(specifierOrUrl) {
  const s = specifierOrUrl.replaceAll('\\', '/');
  const inNodeModules = s.lastIndexOf('/node_modules/');
  if (inNodeModules !== -1) {
    return firstPackageName(s.slice(inNodeModules + '/node_modules/'.length));
  }
  if (s === '' || s.startsWith('.') || s.startsWith('/') || s.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(s)) {
    return undefined;
  }
  if (isBuiltin(s)) return undefined;
  return firstPackageName(s);
}

/** @param {string} s */
function firstPackageName(s) {
  const parts = s.split('/');
  const name = s.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return name === '' || name === undefined ? undefined : name;
}

// ---------------------------------------------------------------------------------------------------------

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

class CheckFailure extends Error {}

/**
 * @param {string} file
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeout?: number }} [options]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
function run(file, args, options = {}) {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? root, env: options.env ?? process.env, timeout: options.timeout ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr: error !== null && stderr === '' && stdout === '' ? String(error.message) : stderr });
      },
    );
  });
}

/**
 * Environment for child npm/node processes: drop what `npm run` injects (npm_config_prefix and
 * friends would point a nested npm at this repo) and any NODE_OPTIONS from the caller.
 * @param {Record<string, string>} [extra]
 */
function childEnv(extra = {}) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower === 'node_options' || lower.startsWith('npm_package_') || lower.startsWith('npm_lifecycle_')) continue;
    if (['npm_config_prefix', 'npm_config_local_prefix', 'npm_config_global', 'npm_config_dry_run', 'init_cwd'].includes(lower)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** @param {string} packageName */
function binOf(packageName) {
  const pkgJsonPath = require.resolve(`${packageName}/package.json`);
  /** @type {{ bin?: string | Record<string, string> }} */
  const pkgJson = JSON.parse(readFileSync(pkgJsonPath, 'utf8'));
  const bin = typeof pkgJson.bin === 'string' ? pkgJson.bin : Object.values(pkgJson.bin ?? {})[0];
  if (bin === undefined) throw new Error(`${packageName} has no bin`);
  return path.join(path.dirname(pkgJsonPath), bin);
}

/** @param {string} text @param {string} [prefix] */
function indent(text, prefix = '    ') {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** @param {number} ms */
const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

// --- the recorder injected into every child -------------------------------------------------------------

/** Resolve hook, runs on the loader thread: logs every specifier an `import` attempts, and what it resolved to. */
const HOOKS_SOURCE = `
import { appendFileSync } from 'node:fs';
let logFile;
export function initialize(data) { logFile = data.logFile; }
export async function resolve(specifier, context, nextResolve) {
  try {
    const result = await nextResolve(specifier, context);
    appendFileSync(logFile, JSON.stringify({ via: 'import', specifier, url: result.url }) + '\\n');
    return result;
  } catch (error) {
    appendFileSync(logFile, JSON.stringify({ via: 'import', specifier, error: String(error && error.code) }) + '\\n');
    throw error;
  }
}
`;

/** Preloaded with --import in every child: registers the hook and wraps the CJS resolver. */
const REGISTER_SOURCE = `
import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
const logFile = process.env.LEGACY_IDP_RESOLVE_LOG;
if (logFile) {
  register(new URL('./resolve-hooks.mjs', import.meta.url), { data: { logFile } });
  const original = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    try {
      const resolved = original.call(this, request, ...rest);
      appendFileSync(logFile, JSON.stringify({ via: 'require', specifier: request, url: resolved }) + '\\n');
      return resolved;
    } catch (error) {
      appendFileSync(logFile, JSON.stringify({ via: 'require', specifier: request, error: String(error && error.code) }) + '\\n');
      throw error;
    }
  };
  process.on('exit', () => {
    for (const key of Object.keys(Module._cache ?? {})) {
      appendFileSync(logFile, JSON.stringify({ via: 'require.cache', specifier: key, url: key }) + '\\n');
    }
  });
}
`;

/**
 * @typedef {{ via: string, specifier: string, url?: string, error?: string }} ResolveRecord
 * @param {string} logFile
 * @returns {{ records: ResolveRecord[], packages: Set<string>, attempted: Set<string> }}
 */
function readResolveLog(logFile) {
  /** @type {ResolveRecord[]} */
  const records = existsSync(logFile)
    ? readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => /** @type {ResolveRecord} */ (JSON.parse(line)))
    : [];
  const packages = new Set();
  const attempted = new Set();
  for (const record of records) {
    const fromSpecifier = packageOf(record.specifier);
    if (fromSpecifier !== undefined) attempted.add(fromSpecifier);
    const fromUrl = record.url === undefined ? undefined : packageOf(record.url);
    if (fromUrl !== undefined) packages.add(fromUrl);
  }
  for (const name of packages) attempted.add(name);
  return { records, packages, attempted };
}

// --- steps ----------------------------------------------------------------------------------------------

/** @type {string[]} */
const failures = [];
/** @type {string[]} */
const tempDirs = [];
const keep = process.argv.includes('--keep');

/** @param {string} prefix */
function makeTempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/**
 * @param {string} name
 * @param {() => Promise<string>} body returns the summary; throws CheckFailure for a failed check
 */
async function step(name, body) {
  const started = Date.now();
  try {
    const summary = await body();
    console.log(`ok   ${name} (${seconds(Date.now() - started)}): ${summary}`);
    return true;
  } catch (error) {
    const message = error instanceof CheckFailure ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.log(`FAIL ${name} (${seconds(Date.now() - started)})\n${indent(message)}`);
    failures.push(name);
    return false;
  }
}

/**
 * @typedef {{ name: string, version: string, type?: string, exports?: unknown, bin?: string | Record<string, string> }} PackageJson
 */

async function main() {
  const totalStarted = Date.now();
  /** @type {PackageJson} */
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  if (!existsSync(path.join(root, 'dist'))) {
    console.log('FAIL dist/ does not exist: run `npm run build` first');
    return 1;
  }

  const exportsMap = pkg.exports;
  if (exportsMap === null || typeof exportsMap !== 'object' || Array.isArray(exportsMap)) {
    console.log('FAIL package.json "exports" must be an object of subpaths');
    return 1;
  }
  const pkgType = pkg.type ?? 'commonjs';
  const subpaths = Object.keys(exportsMap).filter((subpath) => subpath !== './package.json');

  // 1. pack --------------------------------------------------------------------------------------------
  const packDir = makeTempDir('legacy-idp-pack-');
  let tarball = '';
  const packed = await step('npm pack', async () => {
    const result = await run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { env: childEnv() });
    if (result.code !== 0) throw new CheckFailure(`npm pack exited ${result.code}\n${result.stderr}`);
    /** @type {{ filename: string, size: number, entryCount: number }[]} */
    const info = JSON.parse(result.stdout);
    const first = info[0];
    if (first === undefined) throw new CheckFailure('npm pack printed no tarball');
    tarball = path.join(packDir, path.basename(first.filename));
    if (!existsSync(tarball)) throw new CheckFailure(`npm pack did not write ${tarball}`);
    return `${path.basename(tarball)}, ${first.entryCount} files, ${(first.size / 1024).toFixed(1)} kB`;
  });
  if (!packed) return 1;

  // 2. publint ----------------------------------------------------------------------------------------
  await step('publint --strict', async () => {
    const { publint } = await import('publint');
    const { formatMessage } = await import('publint/utils');
    const bytes = readFileSync(tarball);
    const { messages, pkg: linted } = await publint({
      strict: true,
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    });
    const lines = messages.map((message) => `${message.type}: ${formatMessage(message, linted, { color: false }) ?? message.code} [${message.code} at ${message.path.join('.')}]`);
    const blocking = messages.filter((message) => message.type !== 'suggestion');
    if (blocking.length > 0) throw new CheckFailure(`${blocking.length} warning(s)/error(s):\n${lines.join('\n')}`);
    return messages.length === 0 ? 'no messages' : `no warnings or errors; suggestions:\n${indent(lines.join('\n'))}`;
  });

  // 3. attw -------------------------------------------------------------------------------------------
  await step('attw --profile node16', async () => {
    const attw = binOf('@arethetypeswrong/cli');
    const args = [attw, tarball, '--profile', 'node16', '--no-definitely-typed', '--no-color', '--no-emoji'];
    const json = await run(process.execPath, [...args, '--format', 'json'], { env: childEnv() });
    /** @type {{ analysis?: { types?: unknown, problems?: { kind: string, entrypoint?: string, resolutionKind?: string }[], entrypoints?: Record<string, unknown> } }} */
    let report;
    try {
      report = JSON.parse(json.stdout);
    } catch {
      throw new CheckFailure(`attw exited ${json.code} without a JSON report:\n${json.stdout}${json.stderr}`);
    }
    const entrypoints = Object.keys(report.analysis?.entrypoints ?? {});
    if (report.analysis?.types === undefined || report.analysis.types === false) {
      throw new CheckFailure('attw found no type declarations in the package');
    }
    // The JSON report lists problems of every resolution kind; the node16 profile ignores node10 ones (Node >= 20 only).
    const problems = (report.analysis.problems ?? []).filter((problem) => problem.resolutionKind !== 'node10');
    if (problems.length > 0 || json.code !== 0) {
      const table = await run(process.execPath, [...args, '--format', 'table-flipped'], { env: childEnv() });
      const list = problems.map((problem) => `${problem.kind} ${problem.entrypoint ?? ''} ${problem.resolutionKind ?? ''}`.trimEnd());
      throw new CheckFailure(`${problems.length} problem(s), exit ${json.code}:\n${list.join('\n')}\n${table.stdout}${table.stderr}`);
    }
    const ignored = (report.analysis.problems ?? []).length;
    return `no problems in ${entrypoints.length} entrypoints (${entrypoints.join(', ')})${ignored > 0 ? `; ${ignored} node10-only problem(s) ignored by the profile` : ''}`;
  });

  // 4. consumer project --------------------------------------------------------------------------------
  const consumer = makeTempDir('legacy-idp-consumer-');
  const installed = await step('install tarball into an empty project', async () => {
    const env = childEnv();
    const init = await run(npm, ['init', '-y'], { cwd: consumer, env });
    if (init.code !== 0) throw new CheckFailure(`npm init -y exited ${init.code}\n${init.stderr}`);
    const install = await run(
      npm,
      ['install', tarball, '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--prefer-offline', '--loglevel=error'],
      { cwd: consumer, env, timeout: 300_000 },
    );
    if (install.code !== 0) throw new CheckFailure(`npm install exited ${install.code}\n${install.stdout}${install.stderr}`);
    const installedPkg = path.join(consumer, 'node_modules', ...pkg.name.split('/'), 'package.json');
    if (!existsSync(installedPkg)) throw new CheckFailure(`${pkg.name} is not in ${consumer}/node_modules`);
    const present = OPTIONAL_PEERS.filter((peer) => existsSync(path.join(consumer, 'node_modules', peer)));
    if (present.length > 0) throw new CheckFailure(`optional peers were installed as if they were dependencies: ${present.join(', ')}`);
    return `${pkg.name}@${pkg.version} installed without optional peers`;
  });
  if (!installed) return finish(totalStarted);

  const recorderDir = path.join(consumer, '.check');
  mkdirSync(recorderDir);
  writeFileSync(path.join(recorderDir, 'resolve-hooks.mjs'), HOOKS_SOURCE);
  writeFileSync(path.join(recorderDir, 'register.mjs'), REGISTER_SOURCE);
  const registerUrl = pathToFileURL(path.join(recorderDir, 'register.mjs')).href;
  let logCounter = 0;

  /**
   * Runs node in the consumer project with the recorder preloaded.
   * @param {string[]} args
   * @param {{ file?: string, viaNodeOptions?: boolean }} [options]
   */
  async function recordedNode(args, options = {}) {
    const logFile = path.join(recorderDir, `resolve-${++logCounter}.jsonl`);
    const file = options.file ?? process.execPath;
    const env = childEnv({ LEGACY_IDP_RESOLVE_LOG: logFile, ...(options.viaNodeOptions === true ? { NODE_OPTIONS: `--import=${registerUrl}` } : {}) });
    const result = await run(file, options.viaNodeOptions === true ? args : ['--import', registerUrl, ...args], { cwd: consumer, env, timeout: 60_000 });
    return { ...result, ...readResolveLog(logFile) };
  }

  /**
   * @param {string} who
   * @param {Set<string>} attempted
   * @param {string} allowKey
   */
  function forbiddenPeers(who, attempted, allowKey) {
    const allowed = allowedPeersFor(allowKey);
    const forbidden = OPTIONAL_PEERS.filter((peer) => attempted.has(peer) && !allowed.includes(peer));
    if (forbidden.length > 0) {
      throw new CheckFailure(
        `${who} tried to load optional peer(s) ${forbidden.join(', ')}; allowed for ${allowKey}: ${allowed.length === 0 ? 'none' : allowed.join(', ')} ` +
          `(change the code to load them lazily on first use, or ALLOWED_OPTIONAL_PEERS in scripts/check-package.mjs)`,
      );
    }
  }

  // The recorder must see an attempt to load a package that is not installed, in both module systems;
  // otherwise a clean result below would prove nothing.
  await step('self-check: recorder sees attempted loads', async () => {
    const probe = OPTIONAL_PEERS[0] ?? 'ldapts';
    const esm = await recordedNode(['--input-type=module', '-e', `try { await import(${JSON.stringify(probe)}); } catch {}`]);
    const cjs = await recordedNode(['-e', `try { require(${JSON.stringify(probe)}); } catch {}`]);
    if (esm.code !== 0 || cjs.code !== 0) throw new CheckFailure(`probe children failed:\n${esm.stderr}${cjs.stderr}`);
    if (!esm.attempted.has(probe)) throw new CheckFailure(`the ESM resolve hook did not record import('${probe}')`);
    if (!cjs.attempted.has(probe)) throw new CheckFailure(`the CJS recorder did not record require('${probe}')`);
    return `import('${probe}') and require('${probe}') both recorded`;
  });

  for (const subpath of subpaths) {
    const specifier = subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`;
    if (subpath.includes('*')) {
      await step(`exports ${subpath}`, () => Promise.reject(new CheckFailure('pattern subpaths cannot be enumerated; list the subpaths explicitly')));
      continue;
    }
    const printNames = 'process.stdout.write("\\n@@NAMES@@" + JSON.stringify(Object.keys(ns).filter((k) => k !== "default" && k !== "__esModule")));';
    for (const kind of /** @type {const} */ (['esm', 'cjs'])) {
      await step(`${kind} ${specifier}`, async () => {
        const code = kind === 'esm' ? `const ns = await import(${JSON.stringify(specifier)}); ${printNames}` : `const ns = require(${JSON.stringify(specifier)}); ${printNames}`;
        const result = await recordedNode(kind === 'esm' ? ['--input-type=module', '-e', code] : ['-e', code]);
        forbiddenPeers(`${kind === 'esm' ? 'import' : 'require'}('${specifier}')`, result.attempted, subpath);
        if (result.code !== 0) throw new CheckFailure(`${kind === 'esm' ? 'import' : 'require'}('${specifier}') exited ${result.code}:\n${result.stderr}`);
        const marker = result.stdout.lastIndexOf('@@NAMES@@');
        /** @type {string[]} */
        const names = marker === -1 ? [] : JSON.parse(result.stdout.slice(marker + '@@NAMES@@'.length));
        if (names.length === 0) throw new CheckFailure(`${kind === 'esm' ? 'import' : 'require'}('${specifier}') yielded no named exports`);
        if (kind === 'cjs') {
          // Node >= 20.19 can require() ESM, but then the graph bypasses the CJS recorder: insist on a real CJS build.
          const resolved = result.records.find((record) => record.via === 'require' && record.specifier === specifier)?.url;
          if (resolved === undefined) throw new CheckFailure(`require('${specifier}') was not seen by the CJS recorder`);
          const isCjs = resolved.endsWith('.cjs') || (resolved.endsWith('.js') && pkgType !== 'module');
          if (!isCjs) throw new CheckFailure(`require('${specifier}') resolved to ${resolved}, which is not a CommonJS file`);
        }
        const others = [...result.packages].filter((name) => name !== pkg.name).sort();
        return `${names.length} named exports; packages loaded: ${others.length === 0 ? 'none' : others.join(', ')}`;
      });
    }
  }

  // 5. bin ----------------------------------------------------------------------------------------------
  const binNames = typeof pkg.bin === 'string' ? [pkg.name] : Object.keys(pkg.bin ?? {});
  for (const binName of binNames) {
    await step(`bin ${binName} --version`, async () => {
      const binPath = path.join(consumer, 'node_modules', '.bin', process.platform === 'win32' ? `${binName}.cmd` : binName);
      if (!existsSync(binPath)) throw new CheckFailure(`npm did not link ${binPath}`);
      const result = await recordedNode(['--version'], { file: binPath, viaNodeOptions: true });
      forbiddenPeers(`${binName} --version`, result.attempted, 'bin');
      if (result.code !== 0) throw new CheckFailure(`${binName} --version exited ${result.code}:\n${result.stdout}${result.stderr}`);
      const printed = result.stdout.trim();
      const escaped = pkg.version.replaceAll('.', '\\.');
      if (!new RegExp(`(^|[^0-9A-Za-z.-])v?${escaped}($|[^0-9A-Za-z.+-])`).test(printed)) {
        throw new CheckFailure(`${binName} --version printed ${JSON.stringify(printed)}, expected the version ${pkg.version}`);
      }
      return `printed ${JSON.stringify(printed)}`;
    });
  }

  // 6. hash worker threads ------------------------------------------------------------------------------
  // Worker-executed schemes load dist/hashes/worker.js by path; prove that both builds find it once packed.
  const vector = readFileSync(path.join(root, 'test/vectors/sha512_crypt.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => /** @type {{ password: string, hash: string, expected: boolean }} */ (JSON.parse(line)))
    .find((line) => line.expected);
  if (vector) {
    const check = `const r = createHashRegistry(); const v = await r.verify(${JSON.stringify(vector.password)}, ${JSON.stringify(vector.hash)}, { scheme: 'sha512_crypt' }); await r.close(); if (!v.valid) { console.error('not valid'); process.exit(1); }`;
    for (const [kind, program] of /** @type {const} */ ([
      ['esm', `import { createHashRegistry } from 'legacy-idp/hashes'; ${check}`],
      ['cjs', `const { createHashRegistry } = require('legacy-idp/hashes'); (async () => { ${check} })();`],
    ])) {
      await step(`${kind} worker-thread verify (sha512_crypt)`, async () => {
        const args = kind === 'esm' ? ['--input-type=module', '-e', program] : ['-e', program];
        const result = await run(process.execPath, args, { cwd: consumer, env: childEnv() });
        if (result.code !== 0) throw new CheckFailure(`${kind} verify in a worker failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
        return 'verified in the worker pool';
      });
    }
  }

  return finish(totalStarted);
}

/** @param {number} started */
function finish(started) {
  const total = seconds(Date.now() - started);
  if (failures.length > 0) {
    console.log(`\ncheck-package: ${failures.length} check(s) failed in ${total}: ${failures.join('; ')}`);
    return 1;
  }
  console.log(`\ncheck-package: all checks passed in ${total}`);
  return 0;
}

function cleanup() {
  for (const dir of tempDirs) {
    if (keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

// Run only when executed, so tests can import the allow map.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let exitCode = 1;
  try {
    exitCode = await main();
  } catch (error) {
    console.log(`FAIL check-package crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    cleanup();
  }
  process.exitCode = exitCode;
}
