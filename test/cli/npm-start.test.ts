import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { canConnect } from '../harness/process.js';

/**
 * `npm start` (scripts/start.mjs) must stop the server it started when it is told to stop, whichever shell npm
 * runs the script through: npm passes SIGTERM to its shell only, and dash (/bin/sh on Debian and Ubuntu) neither
 * execs the command nor passes the signal on.
 *
 * Each test runs in a prepared package folder: the real package.json "start" script, the real scripts/, the
 * repository's node_modules, an empty src/ (so start.mjs finds dist/ up to date and builds nothing) and a
 * dist/cli/main.js that runs the CLI from src/ through tsx, so no build of the repository is needed.
 */

const root = resolve('.');
const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-npm-start-'));
const groups: number[] = [];

afterAll(() => {
  // Each run leads its own process group (npm, its shell, start.mjs, the server): whatever a failed test left
  // running goes with it.
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function preparedPackage(name: string): string {
  const work = join(dir, name);
  mkdirSync(join(work, 'src'), { recursive: true });
  mkdirSync(join(work, 'dist/cli'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'legacy-idp-start-check', private: true, type: 'module', scripts: { start: pkg.scripts.start } }));
  writeFileSync(
    join(work, 'dist/cli/main.js'),
    `import { register } from 'tsx/esm/api';\nregister();\nawait import(${JSON.stringify(pathToFileURL(join(root, 'src/cli/main.ts')).href)});\n`,
  );
  symlinkSync(join(root, 'scripts'), join(work, 'scripts'));
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
  return work;
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  /** The process started here has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Standard output is closed: every process that inherited it (start.mjs, the server) has exited too. */
  outputClosed: Promise<void>;
}

function run(command: string, args: string[], cwd: string): Run {
  const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) groups.push(child.pid);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => {
      done({ code, signal });
    });
  });
  const outputClosed = new Promise<void>((done) => {
    child.stdout.once('close', done);
  });
  return { child, stdout: () => out, exited, outputClosed };
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** Resolves once `promise` settles, or rejects naming `what` after `ms` (a stop that never comes). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      fail(new Error(`timed out waiting for ${what}`));
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => {
    clearTimeout(timer);
  });
}

const listening = /listening on http:\/\/127\.0\.0\.1:(\d+)/u;

// POSIX signals and process groups: Windows has neither (and npm's shell there is cmd.exe).
describe.skipIf(process.platform === 'win32')('npm start: stopping', () => {
  it('SIGTERM to npm itself (whose /bin/sh may not pass it on) stops the server gracefully and frees its port', async () => {
    const work = preparedPackage('npm');
    const npm = run('npm', ['start', '--', 'serve', '--port', '0'], work);
    await waitFor(() => listening.test(npm.stdout()), 30_000, 'the server to listen');
    const port = Number(listening.exec(npm.stdout())?.[1]);
    expect(await canConnect(port)).toBe(true);
    npm.child.kill('SIGTERM');
    await npm.exited;
    // npm may exit before the server has stopped (it does under dash); the server still writes to the output npm
    // was given, which closes only when the server and the wrapper have exited.
    await within(npm.outputClosed, 20_000, 'the server started by npm start to exit');
    expect(npm.stdout()).toContain('legacy-idp serve: stopping');
    expect(await canConnect(port)).toBe(false);
  }, 60_000);

  it('SIGTERM to scripts/start.mjs run directly is passed on: the server exits 0 and releases its port', async () => {
    const work = preparedPackage('direct');
    const wrapper = run(process.execPath, [join(root, 'scripts/start.mjs'), 'serve', '--port', '0'], work);
    await waitFor(() => listening.test(wrapper.stdout()), 30_000, 'the server to listen');
    const port = Number(listening.exec(wrapper.stdout())?.[1]);
    expect(await canConnect(port)).toBe(true);
    wrapper.child.kill('SIGTERM');
    expect(await wrapper.exited).toEqual({ code: 0, signal: null });
    expect(wrapper.stdout()).toContain('legacy-idp serve: stopping');
    expect(await canConnect(port)).toBe(false);
  }, 60_000);
});
