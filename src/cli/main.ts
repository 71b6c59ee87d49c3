#!/usr/bin/env node
import { setMaxListeners } from 'node:events';
import { runCli } from './cli.js';

const argv = process.argv.slice(2);
const longRunning = argv[0] === 'serve' || argv[0] === 'premigrate';
const stop = new AbortController();
// Every operation of a long run (each Graph call, each query) listens on this one signal.
setMaxListeners(0, stop.signal);
// A reader that stops early (`legacy-idp hashes list | head -1`) closes the pipe, and the next write fails with
// EPIPE: an 'error' event that, unhandled, crashes the CLI with a stack trace. A short command's output is all
// it does, so it ends at once, quietly, with 141, the status of a command killed by SIGPIPE: never 0 or 1,
// which check-login and hashes use for verdicts. serve and premigrate carry on without the lost lines: the
// running server, or the migration and its journal, matter more than what they print.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    if (!longRunning) process.exit(141);
  });
}
// Only the long-running commands stop gracefully on SIGINT/SIGTERM/SIGHUP (a closed terminal sends SIGHUP);
// a second signal exits at once. Every other command keeps Node's default: the first signal ends it.
if (longRunning) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
    });
  }
}

process.exitCode = await runCli(argv, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stopSignal: stop.signal,
});
