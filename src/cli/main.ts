#!/usr/bin/env node
import { setMaxListeners } from 'node:events';
import { runCli } from './cli.js';

const argv = process.argv.slice(2);
const stop = new AbortController();
// Every operation of a long run (each Graph call, each query) listens on this one signal.
setMaxListeners(0, stop.signal);
// Only the long-running commands stop gracefully on SIGINT/SIGTERM/SIGHUP (a closed terminal sends SIGHUP);
// a second signal exits at once. Every other command keeps Node's default: the first signal ends it.
if (argv[0] === 'serve' || argv[0] === 'premigrate') {
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
