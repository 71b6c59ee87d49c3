import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canConnect } from '../harness/process.js';

/**
 * The reader of the CLI's output going away (`legacy-idp hashes list --json | head -1`): the write that follows
 * fails with EPIPE. The reader's end of a real pipe is closed here before the CLI has started, so every write
 * it makes to standard output fails.
 */

const root = resolve('.');
const cliArgs = ['--import', 'tsx', join(root, 'src/cli/main.ts')];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Run {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the CLI with its standard output on a pipe whose reading end is closed at once. */
function startWithClosedStdout(args: string[]): Run {
  const child = spawn(process.execPath, [...cliArgs, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout.destroy();
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('exit', (code, signal) => {
      done({ code, signal });
    });
  });
  return { child, stderr: () => err, exited };
}

describe('legacy-idp: standard output closed by its reader', () => {
  it.each(['hashes list --json', 'hashes list', '--help'])('legacy-idp %s ends quietly with 141, as on SIGPIPE', async (command) => {
    const run = startWithClosedStdout(command.split(' '));
    expect(await run.exited).toEqual({ code: 141, signal: null });
    expect(run.stderr()).toBe('');
  }, 30_000);

  it('serve keeps serving without its standard output, and still stops gracefully', async () => {
    const run = startWithClosedStdout(['serve', '--port', '0']);
    const until = Date.now() + 30_000;
    let port: number | undefined;
    // The embedded default logs JSON lines on standard error, `jit server listening` with the URL among them.
    while (port === undefined) {
      if (Date.now() > until || run.child.exitCode !== null) throw new Error(`serve did not start: ${run.stderr()}`);
      const url = /"message":"jit server listening","url":"http:\/\/127\.0\.0\.1:(\d+)"/u.exec(run.stderr());
      if (url) port = Number(url[1]);
      else await new Promise((done) => setTimeout(done, 50));
    }
    expect(await canConnect(port)).toBe(true);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stderr()).not.toMatch(/EPIPE|Unhandled 'error' event/u);
    expect(await canConnect(port)).toBe(false);
  }, 40_000);
});
