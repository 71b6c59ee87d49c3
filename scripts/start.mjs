// `npm start`: the main job on the embedded default. Installs and builds on a fresh clone, then runs the
// CLI; with no arguments it starts the JIT endpoint (`legacy-idp serve`) on the bundled demo users and
// in-memory lockout, and prints ready-to-paste curl lines. Other arguments go to the CLI as they are.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import { ensureBuild, ensureDependencies } from './bootstrap.mjs';

ensureDependencies('legacy-idp');
ensureBuild('legacy-idp');
const args = process.argv.slice(2);
const child = spawn(process.execPath, ['dist/cli/main.js', ...(args.length > 0 ? args : ['serve'])], { stdio: 'inherit' });
// A stop sent to this wrapper (SIGTERM from a supervisor, `kill`) must reach the server, or it would outlive
// us holding the port. Ctrl-C reaches both through the terminal's process group; the server's own handler
// counts signals (a second one exits at once), so on a terminal the wrapper does not add its own SIGINT.
const fromTerminal = isatty(0);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (signal !== 'SIGINT' || !fromTerminal) child.kill(signal);
  });
}
// npm runs this script through its shell, `sh -c "node scripts/start.mjs"`, and passes SIGINT and SIGTERM to that
// shell only. bash execs a lone command, so the signal lands here; dash (/bin/sh on Debian and Ubuntu) neither
// execs nor passes it on: it dies, npm exits, and this wrapper and the server would run on, holding the port.
// `exec node scripts/start.mjs` in package.json would fix dash but break `npm start` on Windows, where npm's
// shell is cmd.exe (no `exec`). So the wrapper watches for the loss of its parent instead, whatever the shell:
// POSIX gives an orphan a new parent (init or a subreaper), and the stop the shell did not pass on is passed as
// SIGTERM, a graceful stop. Windows never re-parents (and has no such signals to lose): no watch there.
if (process.platform !== 'win32') {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    child.kill('SIGTERM');
  }, 200);
  // The server keeps this process alive; the watch alone must not.
  watch.unref();
}
child.on('error', (error) => {
  console.error(`legacy-idp: cannot start the CLI: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1));
});
