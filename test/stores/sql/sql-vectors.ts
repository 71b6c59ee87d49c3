/**
 * Hashes with known passwords for the SQL store tests, from test/vectors/<scheme>.jsonl (each line names its
 * source): no test here needs PHP, Python or .NET to make one.
 */
import { readFileSync } from 'node:fs';

export interface HashVector {
  password: string;
  hash: string;
  source: string;
}

const files = new Map<string, Array<HashVector & { expected?: boolean; expect?: boolean }>>();

/** The first positive vector of `scheme` whose password is `password` and whose hash starts with `prefix`. */
export function hashVector(scheme: string, password: string, prefix = ''): HashVector {
  let lines = files.get(scheme);
  if (!lines) {
    lines = readFileSync(new URL(`../../vectors/${scheme}.jsonl`, import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as HashVector & { expected?: boolean; expect?: boolean });
    files.set(scheme, lines);
  }
  const found = lines.find((line) => (line.expected ?? line.expect) === true && line.password === password && line.hash.startsWith(prefix));
  if (!found) throw new Error(`no positive ${scheme} vector for ${JSON.stringify(password)} starting with ${prefix}`);
  return found;
}
