// `node [--import ...] import-entry.mjs <module file> [args...]`: imports the module as if it had been run as
// `node <module file> [args...]` (process.argv rewritten), so that CLI entries see their arguments.
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

const [, , file, ...args] = process.argv;
if (file === undefined) throw new Error('usage: import-entry.mjs <module file> [args...]');
const absolute = path.resolve(file);
process.argv = [process.argv[0] ?? process.execPath, absolute, ...args];
await import(pathToFileURL(absolute).href);
