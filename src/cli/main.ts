#!/usr/bin/env node
import { setMaxListeners } from 'node:events';
import { runCli } from './cli.js';

// SIGINT/SIGTERM stop a long-running command (serve) gracefully; a second signal exits at once.
const stop = new AbortController();
// Every operation of a long run (each Graph call, each query) listens on this one signal.
setMaxListeners(0, stop.signal);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stopSignal: stop.signal,
});
