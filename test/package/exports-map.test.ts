// package.json "exports"/"bin"/"files" and tsup.config.ts must describe the same files. No build needed.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { internalEntries } from '../../tsup.config.js';
import {
  binTargets,
  buildEntries,
  entries,
  exportSubpaths,
  exportTargets,
  normalizeRelative,
  readPackageJson,
  repoRoot,
  roleOf,
  tsupConfigs,
  type BuildEntry,
} from './layout.js';

const pkg = readPackageJson();
const built = await buildEntries(pkg);
const subpaths = exportSubpaths(pkg);

/** The build entry (of `entries`) that produces `file`, if any. */
function producerOf(file: string): BuildEntry | undefined {
  return built.find((entry) => entry.esm === file || entry.cjs === file || entry.dts.includes(file));
}

describe('tsup.config.ts', () => {
  it('builds the exported `entries` object, as ESM + CJS with declarations', async () => {
    const configs = await tsupConfigs();
    const main = configs.find((options) => options.entry === entries);
    expect(main, 'a tsup config must use `entries` as its entry').toBeDefined();
    expect(main?.format).toEqual(expect.arrayContaining(['esm', 'cjs']));
    expect(main?.dts).toBeTruthy();
  });

  it('names every entry once and every source exists', () => {
    const keys = built.map((entry) => entry.key);
    expect(new Set(keys).size, `duplicate entry names in ${keys.join(', ')}`).toBe(keys.length);
    for (const entry of built) {
      expect(existsSync(path.join(repoRoot, entry.source)), `${entry.key}: ${entry.source} does not exist`).toBe(true);
    }
  });
});

describe('package.json "exports"', () => {
  it('keeps ./package.json readable', () => {
    expect((pkg.exports as Record<string, unknown>)['./package.json']).toBe('./package.json');
  });

  for (const [subpath, value] of subpaths) {
    it(`${subpath} points at the ESM and CJS builds of one tsup entry`, () => {
      expect(subpath, 'subpath patterns cannot be checked entry by entry').not.toContain('*');
      expect(subpath === '.' || subpath.startsWith('./'), `${subpath} must be "." or start with "./"`).toBe(true);
      const targets = exportTargets(value);
      expect(targets.length).toBeGreaterThan(0);

      const producers = new Set(targets.map(({ target }) => producerOf(target)));
      const [producer] = producers;
      expect(producer, `${subpath}: ${targets.map(({ target }) => target).join(', ')} is not produced by any tsup entry`).toBeDefined();
      expect(producers.size, `${subpath} mixes files of several tsup entries`).toBe(1);
      if (producer === undefined) return;
      expect(producer.exported, `${subpath} is built from "${producer.key}", which is not in \`entries\``).toBe(true);

      for (const { conditions, target } of targets) {
        const where = `${subpath} [${conditions.join(' > ')}] -> ${target}`;
        const isTypes = conditions.includes('types');
        if (conditions.includes('import')) {
          expect(target, where).toBe(isTypes ? producer.dts.find((file) => file.endsWith('.d.ts')) : producer.esm);
        } else if (conditions.includes('require')) {
          expect(target, where).toBe(isTypes ? producer.dts.find((file) => file.endsWith('.d.cts')) : producer.cjs);
        } else {
          expect.fail(`${where}: every target must sit under an "import" or "require" condition`);
        }
      }
      const plain = targets.filter(({ conditions }) => !conditions.includes('types')).map(({ target }) => target);
      expect(plain, `${subpath} must offer both the ESM and the CJS build`).toEqual(expect.arrayContaining([producer.esm, producer.cjs]));
    });
  }

  it('exports every entry of `entries`, each from one subpath', () => {
    for (const entry of built.filter((candidate) => candidate.exported)) {
      const role = roleOf(entry, pkg);
      expect(role?.kind, `tsup entry "${entry.key}" (${entry.source}) is not in package.json "exports"`).toBe('subpath');
      const pointing = [...subpaths].filter(([, value]) => exportTargets(value).some(({ target }) => target === entry.esm || target === entry.cjs));
      expect(pointing.map(([subpath]) => subpath), `"${entry.key}" is exported more than once`).toHaveLength(1);
    }
  });

  it('builds nothing that is neither exported nor a bin nor a declared internal entry', () => {
    for (const entry of built.filter((candidate) => !(candidate.key in internalEntries))) {
      expect(roleOf(entry, pkg), `tsup entry "${entry.key}" (${entry.source}) is neither an export subpath nor a bin`).toBeDefined();
    }
  });

  it('agrees with main/module/types for the root', () => {
    const root = subpaths.get('.');
    expect(root, 'no "." export').toBeDefined();
    const producer = exportTargets(root).map(({ target }) => producerOf(target))[0];
    if (producer === undefined) return expect.fail('"." is not built by tsup');
    if (pkg.main !== undefined) expect(normalizeRelative(pkg.main)).toBe(producer.cjs);
    if (pkg.module !== undefined) expect(normalizeRelative(pkg.module)).toBe(producer.esm);
    if (pkg.types !== undefined) expect(producer.dts).toContain(normalizeRelative(pkg.types));
  });
});

describe('package.json "bin" and "files"', () => {
  it('every bin is the ESM output of a tsup entry with a shebang', () => {
    for (const [name, target] of binTargets(pkg)) {
      const file = normalizeRelative(target);
      expect(file.startsWith('./dist/'), `bin ${name} -> ${target} is outside dist/`).toBe(true);
      const producer = built.find((entry) => entry.esm === file || entry.cjs === file);
      expect(producer, `bin ${name} -> ${target} is not produced by any tsup entry`).toBeDefined();
      if (producer === undefined) continue;
      const source = path.join(repoRoot, producer.source);
      if (existsSync(source)) {
        expect(readFileSync(source, 'utf8').startsWith('#!/usr/bin/env node'), `${producer.source} must start with "#!/usr/bin/env node"`).toBe(true);
      }
    }
  });

  it('publishes dist and nothing from the sources or tooling', () => {
    const files = (pkg.files ?? []).map((file) => file.replace(/^\.\//, '').replace(/\/$/, ''));
    expect(files).toContain('dist');
    for (const file of files) {
      expect(['src', 'test', 'scripts', 'bench', '.ci', 'node_modules', 'coverage', '.tmp'], `"files" publishes ${file}`).not.toContain(file.split('/')[0]);
    }
  });

  it('points every entrypoint field inside dist', () => {
    const paths = [
      ...[...subpaths.values()].flatMap((value) => exportTargets(value).map(({ target }) => target)),
      ...binTargets(pkg).values(),
      ...[pkg.main, pkg.module, pkg.types].filter((file) => file !== undefined),
    ];
    for (const file of paths) {
      expect(normalizeRelative(file).startsWith('./dist/'), `${file} is outside dist/`).toBe(true);
    }
  });
});
