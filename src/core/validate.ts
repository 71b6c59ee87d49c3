import type { z } from 'zod';
import { LegacyIdpError } from './errors.js';

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Validates options at construction. The error names the first bad key and says what was expected, in
 * one line (a CLI shows it as is); the full zod issue list stays on `cause` for programs.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  // A misspelt key is the commonest config mistake: name the key itself, not the object holding it.
  if (first?.code === 'unrecognized_keys' && first.keys[0] !== undefined) {
    const path = formatPath([...first.path, first.keys[0]]);
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${what}: unknown key "${path}"${more}`, { cause: result.error, path });
  }
  const path = first ? formatPath(first.path) : '(root)';
  throw new LegacyIdpError(
    'ERR_LEGACY_IDP_CONFIG_INVALID',
    `${what}: invalid value at "${path}": ${first?.message ?? 'invalid'}${more}`,
    { cause: result.error, path },
  );
}

/** For z.custom(): the value is an object with a method of this name (a plugged-in store, logger, policy). */
export const hasFunction =
  (name: string) =>
  (value: unknown): boolean =>
    typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[name] === 'function';

/** A value that may be a promise is one (a thenable): such results are awaited, others used as they are. */
export const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => typeof (value as { then?: unknown } | undefined)?.then === 'function';
