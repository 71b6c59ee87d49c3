// Importing an entry of the package (from source, through tsx: no build needed) must not even *try* to load an
// optional peer (ldapts, mssql, ...) that its subpath is not allowed to load: peers load lazily on first use.
// The allow map is the one scripts/check-package.mjs applies to the packed build.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEntries, readPackageJson, repoRoot, roleOf } from './layout.js';
import { attemptedPackages, readResolveLog, type ResolveRecord } from './resolve-log.js';

const here = path.join(repoRoot, 'test', 'package');
const recorder = pathToFileURL(path.join(here, 'resolve-recorder.mjs')).href;
const runner = path.join(here, 'import-entry.mjs');

interface AllowMap {
  peers: string[];
  allowed: Record<string, string[]>;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

async function loadAllowMap(): Promise<AllowMap> {
  // A computed specifier: the script is plain JS without declarations, so its exports are checked here instead.
  const scriptUrl = pathToFileURL(path.join(repoRoot, 'scripts', 'check-package.mjs')).href;
  const script = (await import(scriptUrl)) as Record<string, unknown>;
  const peers = script.OPTIONAL_PEERS;
  const allowed = script.ALLOWED_OPTIONAL_PEERS;
  if (!isStringArray(peers)) throw new Error('scripts/check-package.mjs must export OPTIONAL_PEERS as a string array');
  if (allowed === null || typeof allowed !== 'object' || !Object.values(allowed).every(isStringArray)) {
    throw new Error('scripts/check-package.mjs must export ALLOWED_OPTIONAL_PEERS as { subpath: string[] }');
  }
  return { peers, allowed: allowed as Record<string, string[]> };
}

const { peers, allowed } = await loadAllowMap();

/** The optional peers the records show an attempt to load and `allowKey` ("./ldap", "bin", ...) may not. */
function forbiddenPeers(records: readonly ResolveRecord[], allowKey: string): string[] {
  const attempted = attemptedPackages(records);
  const mayLoad = allowed[allowKey] ?? [];
  return peers.filter((peer) => attempted.has(peer) && !mayLoad.includes(peer));
}

const scratch = path.join(repoRoot, '.tmp');
mkdirSync(scratch, { recursive: true });
const workDir = mkdtempSync(path.join(scratch, 'optional-deps-'));
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});
let logCounter = 0;

interface Loaded {
  code: number;
  stdout: string;
  stderr: string;
  records: ResolveRecord[];
}

/** Imports a source file in a fresh `node --import tsx` with the recorder, as `node <file> ...args` would run it. */
function importInChild(file: string, args: readonly string[] = []): Promise<Loaded> {
  const logFile = path.join(workDir, `resolve-${++logCounter}.jsonl`);
  const env: NodeJS.ProcessEnv = { ...process.env, LEGACY_IDP_RESOLVE_LOG: logFile, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', recorder, runner, file, ...args],
      { cwd: repoRoot, env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr, records: readResolveLog(logFile) });
      },
    );
  });
}

describe('the detection itself', () => {
  it('catches an eager import of an installed optional peer', async () => {
    const fixture = path.join(workDir, 'eager-import.ts');
    writeFileSync(fixture, "import { Client } from 'ldapts';\nexport const client = Client;\n");
    const result = await importInChild(fixture);
    expect(result.code, result.stderr).toBe(0);
    expect(forbiddenPeers(result.records, '.')).toEqual(['ldapts']);
    expect(forbiddenPeers(result.records, './ldap')).toEqual([]);
  });

  it('catches an attempted require of a peer that is not installed', async () => {
    const fixture = path.join(workDir, 'failed-require.ts');
    writeFileSync(
      fixture,
      "import { createRequire } from 'node:module';\ntry {\n  createRequire(import.meta.url)('mongodb');\n} catch {\n  // not installed: the attempt is what counts\n}\nexport const ok = true;\n",
    );
    const result = await importInChild(fixture);
    expect(result.code, result.stderr).toBe(0);
    expect(forbiddenPeers(result.records, '.')).toEqual(['mongodb']);
  });

  it('catches a failed dynamic import that the module swallows', async () => {
    const fixture = path.join(workDir, 'failed-import.ts');
    writeFileSync(fixture, "await import('argon2').catch(() => undefined);\nexport const ok = true;\n");
    const result = await importInChild(fixture);
    expect(result.code, result.stderr).toBe(0);
    expect(forbiddenPeers(result.records, '.')).toEqual(['argon2']);
  });

  it('does not flag ordinary dependencies', async () => {
    const fixture = path.join(workDir, 'plain.ts');
    writeFileSync(fixture, "import { z } from 'zod';\nexport const schema = z.string();\n");
    const result = await importInChild(fixture);
    expect(result.code, result.stderr).toBe(0);
    expect(attemptedPackages(result.records)).toContain('zod');
    expect(forbiddenPeers(result.records, '.')).toEqual([]);
  });
});

const pkg = readPackageJson();
const built = await buildEntries(pkg);

describe('importing an entry loads no optional peer it may not', () => {
  for (const entry of built) {
    const role = roleOf(entry, pkg);
    const allowKey = role === undefined ? entry.key : role.kind === 'bin' ? 'bin' : role.subpath;
    // A bin is imported as `legacy-idp --version`: the cheapest command must not touch any backend either.
    const args = role?.kind === 'bin' ? ['--version'] : [];
    const label = `${entry.source} (${role === undefined ? 'not exported' : role.kind === 'bin' ? `bin ${role.name} --version` : role.subpath})`;

    it(label, async () => {
      const result = await importInChild(path.join(repoRoot, entry.source), args);
      expect(result.code, `importing ${entry.source} failed:\n${result.stderr}`).toBe(0);
      expect(result.records.length, 'the recorder logged nothing').toBeGreaterThan(0);
      const mayLoad = allowed[allowKey] ?? [];
      expect(forbiddenPeers(result.records, allowKey), `${entry.source} tried to load optional peers (allowed for ${allowKey}: ${mayLoad.join(', ') || 'none'})`).toEqual([]);
    });
  }
});
