// Module customization hooks (loader thread) for resolve-recorder.mjs: log every `import` specifier, resolved or not.
import { appendFileSync } from 'node:fs';

/** @type {string | undefined} */
let logFile;

/** @param {{ logFile: string }} data */
export function initialize(data) {
  logFile = data.logFile;
}

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  try {
    const result = await nextResolve(specifier, context);
    if (logFile) appendFileSync(logFile, `${JSON.stringify({ via: 'import', specifier, url: result.url, parent: context.parentURL })}\n`);
    return result;
  } catch (error) {
    if (logFile) appendFileSync(logFile, `${JSON.stringify({ via: 'import', specifier, parent: context.parentURL, error: String(error?.code) })}\n`);
    throw error;
  }
}
