import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with `stdinText` piped in, collecting both output streams. */
export async function cli(argv: string[], stdinText = ''): Promise<CliRun> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  stdin.end(stdinText);
  const code = await runCli(argv, { stdin, stdout, stderr, env: {} });
  return { code, stdout: out, stderr: err };
}
