import type { Readable, Writable } from 'node:stream';
import { LegacyIdpError } from '../core/errors.js';

export interface PasswordSource {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stderr: Writable;
}

/** Longer than any real password; stops a mistaken pipe of a large file from being read whole. */
const maxBytes = 64 * 1024;

/** Reads a password from a pipe (one trailing newline dropped) or, on a terminal, from a hidden prompt. */
export async function readPassword({ stdin, stderr }: PasswordSource): Promise<string> {
  if (stdin.isTTY && stdin.setRawMode) return promptHidden(stdin, stderr);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) throw new LegacyIdpError('ERR_LEGACY_IDP_USAGE', 'the password on standard input is longer than 64 KiB');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/u, '');
}

function promptHidden(stdin: PasswordSource['stdin'], stderr: Writable): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    stderr.write('Password: ');
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (error?: Error): void => {
      stdin.setRawMode?.(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (data: string): void => {
      for (const char of data) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          return;
        }
        if (char === '\u0003') {
          finish(new LegacyIdpError('ERR_LEGACY_IDP_USAGE', 'interrupted'));
          return;
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on('data', onData);
  });
}
