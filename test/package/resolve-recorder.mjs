// Preload with `node --import <this file>`: records every module resolution the process *attempts*, whether it
// succeeds or not, as JSON lines in the file named by LEGACY_IDP_RESOLVE_LOG.
// - `import` (static and dynamic): an ESM resolve hook (resolve-recorder-hooks.mjs, via module.register);
// - `require` (including createRequire): a wrapper around Module._resolveFilename;
// - on exit: the keys of require.cache.
// Register it after any other loader (e.g. `--import tsx --import ./resolve-recorder.mjs`) so that its hook
// runs first and sees the specifiers as written.
import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const logFile = process.env.LEGACY_IDP_RESOLVE_LOG;

/** @param {Record<string, unknown>} record */
function log(record) {
  if (logFile) appendFileSync(logFile, `${JSON.stringify(record)}\n`);
}

if (logFile) {
  register(new URL('./resolve-recorder-hooks.mjs', import.meta.url), { data: { logFile } });

  const original = Module._resolveFilename;
  Module._resolveFilename = function resolveFilename(request, ...rest) {
    try {
      const resolved = original.call(this, request, ...rest);
      log({ via: 'require', specifier: request, url: resolved });
      return resolved;
    } catch (error) {
      log({ via: 'require', specifier: request, error: String(error?.code) });
      throw error;
    }
  };

  process.on('exit', () => {
    for (const key of Object.keys(Module._cache)) log({ via: 'require.cache', specifier: key, url: key });
  });
}
