// Reads what resolve-recorder.mjs logged and tells which packages a process tried to load.
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';

export interface ResolveRecord {
  via: 'import' | 'require' | 'require.cache';
  specifier: string;
  url?: string;
  parent?: string;
  error?: string;
}

/**
 * The package a bare specifier or a resolved path/URL belongs to; undefined for builtins, relative and absolute
 * specifiers outside node_modules, data: URLs and "#imports".
 */
export function packageOf(specifierOrUrl: string): string | undefined {
  const s = specifierOrUrl.replaceAll('\\', '/');
  const inNodeModules = s.lastIndexOf('/node_modules/');
  if (inNodeModules !== -1) return firstPackageName(s.slice(inNodeModules + '/node_modules/'.length));
  if (s === '' || s.startsWith('.') || s.startsWith('/') || s.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(s)) return undefined;
  if (isBuiltin(s)) return undefined;
  return firstPackageName(s);
}

function firstPackageName(s: string): string | undefined {
  const parts = s.split('/');
  const name = s.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return name === '' ? undefined : name;
}

export function readResolveLog(file: string): ResolveRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ResolveRecord);
}

/** Packages named by an attempted specifier (resolved or not) or found in a resolved path. */
export function attemptedPackages(records: readonly ResolveRecord[]): Set<string> {
  const names = new Set<string>();
  for (const record of records) {
    for (const candidate of [record.specifier, record.url]) {
      const name = candidate === undefined ? undefined : packageOf(candidate);
      if (name !== undefined) names.add(name);
    }
  }
  return names;
}
