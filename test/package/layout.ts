// What the package publishes, read from package.json and tsup.config.ts (no build needed).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options } from 'tsup';
import tsupConfig, { entries } from '../../tsup.config.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface PackageJson {
  name: string;
  version: string;
  type?: string;
  main?: string;
  module?: string;
  types?: string;
  bin?: string | Record<string, string>;
  files?: string[];
  exports?: unknown;
}

export function readPackageJson(): PackageJson {
  return JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson;
}

/** One named entry of one tsup config, with the files tsup writes for it. */
export interface BuildEntry {
  /** the entry name, e.g. "testing/index": dist/testing/index.js ... */
  key: string;
  /** the source file, relative to the repo root */
  source: string;
  /** index of the config in tsup.config.ts's default export */
  config: number;
  /** true if the entry is in the exported `entries` object */
  exported: boolean;
  /** "./dist/<key>.js" for esm, if built */
  esm?: string;
  /** "./dist/<key>.cjs" for cjs, if built */
  cjs?: string;
  /** declaration files next to them, if dts is on */
  dts: string[];
}

export { entries };

/** tsup.config.ts's default export as a list of configs (a function config is called with no CLI flags). */
export async function tsupConfigs(): Promise<Options[]> {
  const resolved = typeof tsupConfig === 'function' ? await tsupConfig({}) : tsupConfig;
  return Array.isArray(resolved) ? resolved : [resolved];
}

function formatsOf(options: Options): string[] {
  if (options.format === undefined) return ['cjs'];
  return Array.isArray(options.format) ? options.format : [options.format];
}

/**
 * Every named entry of every tsup config and the files it produces. tsup names outputs after the entry key;
 * in a "type": "module" package ESM gets .js/.d.ts and CJS gets .cjs/.d.cts.
 */
export async function buildEntries(pkg: PackageJson): Promise<BuildEntry[]> {
  if (pkg.type !== 'module') throw new Error('package.json "type" must be "module" for the .js/.cjs naming checked here');
  const result: BuildEntry[] = [];
  const configs = await tsupConfigs();
  for (const [index, options] of configs.entries()) {
    const entry = options.entry;
    if (entry === undefined || Array.isArray(entry)) {
      throw new Error(`tsup config #${index} must name its entries ({ name: source }) so that output paths are predictable`);
    }
    if (options.outExtension !== undefined) throw new Error(`tsup config #${index} sets outExtension, which these checks do not model`);
    const outDir = (options.outDir ?? 'dist').replace(/^\.\//, '').replace(/\/$/, '');
    const formats = formatsOf(options);
    const dts = options.dts !== undefined && options.dts !== false;
    for (const [key, source] of Object.entries(entry)) {
      const base = `./${outDir}/${key}`;
      const built: BuildEntry = { key, source, config: index, exported: (entries as Record<string, string>)[key] === source, dts: [] };
      if (formats.includes('esm')) {
        built.esm = `${base}.js`;
        if (dts) built.dts.push(`${base}.d.ts`);
      }
      if (formats.includes('cjs')) {
        built.cjs = `${base}.cjs`;
        if (dts) built.dts.push(`${base}.d.cts`);
      }
      result.push(built);
    }
  }
  return result;
}

/** Every target path in an exports value, with the conditions leading to it. */
export function exportTargets(value: unknown, conditions: string[] = []): { conditions: string[]; target: string }[] {
  if (typeof value === 'string') return [{ conditions, target: value }];
  if (Array.isArray(value)) return value.flatMap((item) => exportTargets(item, conditions));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([condition, nested]) => exportTargets(nested, [...conditions, condition]));
  }
  return [];
}

/** The exports map as subpath -> value, without ./package.json. */
export function exportSubpaths(pkg: PackageJson): Map<string, unknown> {
  const map = pkg.exports;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new Error('package.json "exports" must be an object of subpaths');
  return new Map(Object.entries(map).filter(([subpath]) => subpath !== './package.json'));
}

export function binTargets(pkg: PackageJson): Map<string, string> {
  if (pkg.bin === undefined) return new Map();
  return typeof pkg.bin === 'string' ? new Map([[pkg.name, pkg.bin]]) : new Map(Object.entries(pkg.bin));
}

/** What importing a build entry stands for: the export subpath whose targets are its files, or "bin". */
export function roleOf(entry: BuildEntry, pkg: PackageJson): { kind: 'subpath'; subpath: string } | { kind: 'bin'; name: string } | undefined {
  const files = new Set([entry.esm, entry.cjs, ...entry.dts].filter((file) => file !== undefined));
  for (const [subpath, value] of exportSubpaths(pkg)) {
    if (exportTargets(value).some(({ target }) => files.has(target))) return { kind: 'subpath', subpath };
  }
  for (const [name, target] of binTargets(pkg)) {
    if (files.has(normalizeRelative(target))) return { kind: 'bin', name };
  }
  return undefined;
}

/** "dist/x.js" and "./dist/x.js" alike, as "./dist/x.js". */
export function normalizeRelative(file: string): string {
  return file.startsWith('./') ? file : `./${file}`;
}
