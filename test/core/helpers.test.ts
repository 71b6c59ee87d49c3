import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deadlineSignal, raceDeadline, deadlineExceeded } from '../../src/core/deadline.js';
import { LegacyIdpError, errorCodes, isLegacyIdpError, toError } from '../../src/core/errors.js';
import { REDACTED, jsonLogger, redactFields, silentLogger } from '../../src/core/logger.js';
import { createUsernameNormalizer, hasControlCharacters, normalizeUsername } from '../../src/core/normalize.js';
import { importOptional } from '../../src/core/optional-import.js';
import { parseOptions } from '../../src/core/validate.js';

describe('username normalization', () => {
  it('trims, composes to NFC and lower-cases by default', () => {
    expect(normalizeUsername('  Ze\u0301LIE\t')).toBe('z\u00e9lie');
  });

  it('folds case without the host locale (Turkish dotted I)', () => {
    expect(normalizeUsername('İSTANBUL')).toBe('i̇stanbul');
    expect(normalizeUsername('ISTANBUL')).toBe('istanbul');
  });

  it('follows each option', () => {
    expect(createUsernameNormalizer({ trim: false, caseFold: 'none' })(' Bob ')).toBe(' Bob ');
    expect(createUsernameNormalizer({ caseFold: 'upper' })('bob')).toBe('BOB');
    expect(createUsernameNormalizer({ unicode: 'none', caseFold: 'none' })('e\u0301')).toBe('e\u0301');
    expect(createUsernameNormalizer({ unicode: 'NFKC' })('ＡＬＩＣＥ')).toBe('alice');
    expect(createUsernameNormalizer({ unicode: 'NFC' })('ＡＬＩＣＥ')).toBe('ａｌｉｃｅ');
  });

  it('rejects unknown options by name', () => {
    expect(() => createUsernameNormalizer({ casefold: 'lower' } as never)).toThrow(/unknown key "casefold"/u);
    expect(() => createUsernameNormalizer({ caseFold: 'title' } as never)).toThrow(/invalid value at "caseFold"/u);
  });

  it('spots control characters, NUL included', () => {
    expect(hasControlCharacters('a\u0000b')).toBe(true);
    expect(hasControlCharacters('a\u0085b')).toBe(true);
    expect(hasControlCharacters('zoë.o\'brien@example.org')).toBe(false);
  });
});

describe('errors', () => {
  it('carry a code, keep the cause, and serialize without it', () => {
    const cause = new Error('socket hang up at ldap://10.0.0.1');
    const error = new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'ldap failed', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.cause).toBe(cause);
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_BACKEND_UNAVAILABLE')).toBe(true);
    expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CLOSED')).toBe(false);
    expect(JSON.stringify(error)).toBe('{"name":"LegacyIdpError","code":"ERR_LEGACY_IDP_BACKEND_UNAVAILABLE","message":"ldap failed"}');
    expect(toError('text')).toBeInstanceOf(Error);
    expect(toError(42).message).toBe('non-Error value thrown: number');
  });

  it('are each documented in docs/errors.md, and the page lists no code that does not exist', () => {
    const page = readFileSync('docs/errors.md', 'utf8');
    const documented = new Set([...page.matchAll(/^## `(ERR_[A-Z_]+)`/gmu)].map((m) => m[1]));
    expect(documented).toEqual(new Set(Object.keys(errorCodes)));
  });
});

describe('parseOptions', () => {
  const schema = z.object({ server: z.object({ port: z.number().int() }).strict(), hosts: z.array(z.string()) }).strict();
  it('names the deepest bad key, with array indexes', () => {
    expect(() => parseOptions(schema, { server: { port: 'x' }, hosts: [] }, 'opts')).toThrow(/^opts: invalid value at "server\.port"/u);
    expect(() => parseOptions(schema, { server: { port: 1 }, hosts: ['a', 2] }, 'opts')).toThrow(/"hosts\[1\]"/u);
    expect(() => parseOptions(schema, { server: { port: 1, prot: 2 }, hosts: [] }, 'opts')).toThrow(/unknown key "server\.prot"/u);
    expect(() => parseOptions(schema, 7, 'opts')).toThrow(/"\(root\)"/u);
  });
  it('counts further problems and keeps the zod error as cause', () => {
    try {
      parseOptions(schema, { server: {}, hosts: 'no' }, 'opts');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LegacyIdpError);
      expect((error as LegacyIdpError).message).toContain('(and 1 more problem)');
      expect((error as LegacyIdpError).cause).toBeInstanceOf(z.ZodError);
    }
  });
});

describe('logger', () => {
  it('is silent by default and redacts secret-looking fields at any depth', () => {
    expect(Object.isFrozen(silentLogger)).toBe(true);
    const fields = redactFields({ user: 'a', password: 'p', nested: { apiKey: 'k', list: [{ passwordHash: 'h' }] }, err: new Error('boom') });
    expect(fields).toEqual({ user: 'a', password: REDACTED, nested: { apiKey: REDACTED, list: [{ passwordHash: REDACTED }] }, err: { message: 'boom' } });
  });

  it('writes JSON lines at or above its level', () => {
    const lines: string[] = [];
    const logger = jsonLogger({ level: 'warn', write: (line) => lines.push(line) });
    logger.info('hidden');
    logger.warn('shown', { token: 't', user: 'u' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'warn', message: 'shown', token: REDACTED, user: 'u' });
  });
});

describe('deadlines', () => {
  it('turns milliseconds into a signal and rejects nonsense', async () => {
    const signal = deadlineSignal(10, undefined);
    expect(signal?.aborted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(signal?.aborted).toBe(true);
    expect(deadlineSignal(undefined, undefined)).toBeUndefined();
    expect(() => deadlineSignal(Number.NaN, undefined)).toThrow(LegacyIdpError);
  });

  it('races an operation and swallows its late rejection', async () => {
    const controller = new AbortController();
    const late = new Promise((_, reject) => {
      setTimeout(() => {
        reject(new Error('late'));
      }, 20);
    });
    const pending = raceDeadline(late, controller.signal);
    controller.abort();
    expect(await pending).toBe(deadlineExceeded);
    await new Promise((resolve) => setTimeout(resolve, 40)); // an unhandled rejection would fail the run
    expect(await raceDeadline(Promise.resolve(5), controller.signal)).toBe(deadlineExceeded);
    expect(await raceDeadline(Promise.resolve(5), new AbortController().signal)).toBe(5);
  });
});

describe('importOptional', () => {
  it('names the package to install when it is missing', async () => {
    await expect(importOptional('legacy-idp-no-such-package', 'The test backend', () => import(['legacy-idp', 'no-such-package'].join('-')))).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_MISSING_DEPENDENCY',
      message: 'The test backend needs the optional package "legacy-idp-no-such-package": run npm install legacy-idp-no-such-package',
    });
  });
  it('returns the module when it is there', async () => {
    const zod = await importOptional('zod', 'validation', () => import('zod'));
    expect(typeof zod.z.object).toBe('function');
  });
});
