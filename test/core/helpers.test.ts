import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { callDeadline, deadlineExceeded, deadlineSignal, withSignalOf } from '../../src/core/deadline.js';
import { LegacyIdpError, errorCodes, isLegacyIdpError, toError } from '../../src/core/errors.js';
import { REDACTED, jsonLogger, redactFields, silentLogger } from '../../src/core/logger.js';
import { createUsernameNormalizer, hasControlCharacters, normalizeUsername } from '../../src/core/normalize.js';
import { importOptional } from '../../src/core/optional-import.js';
import { parseOptions } from '../../src/core/validate.js';
import { getterOf } from '../harness/accessors.js';

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

  it("races an operation against the caller's signal and swallows its late rejection", async () => {
    const controller = new AbortController();
    const late = new Promise((_, reject) => {
      setTimeout(() => {
        reject(new Error('late'));
      }, 20);
    });
    const deadline = callDeadline(controller.signal, 5_000);
    expect(deadline.signal).toBe(controller.signal);
    const pending = deadline.race(late);
    controller.abort();
    expect(await pending).toBe(deadlineExceeded);
    await new Promise((resolve) => setTimeout(resolve, 40)); // an unhandled rejection would fail the run
    expect(await deadline.race(Promise.resolve(5))).toBe(deadlineExceeded);
    deadline.dispose();
    const fresh = callDeadline(new AbortController().signal, undefined);
    expect(await fresh.race(Promise.resolve(5))).toBe(5);
    await expect(fresh.race(Promise.reject(new Error('backend down')))).rejects.toThrow('backend down');
    // A non-Error rejection still arrives as an Error.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a backend that rejects with a string
    await expect(fresh.race(Promise.reject('text'))).rejects.toBeInstanceOf(Error);
    fresh.dispose();
  });

  it('gives fields an enumerable signal read from its source on demand, through one getter shared by every call', () => {
    let reads = 0;
    const controller = new AbortController();
    const source = {
      get signal() {
        reads++;
        return controller.signal;
      },
    };
    const fields = { username: 'alice' };
    const carried = withSignalOf(fields, source);
    expect(carried).toBe(fields);
    expect(reads).toBe(0);
    expect(Object.keys(carried)).toEqual(['username', 'signal']);
    expect(carried.signal).toBe(controller.signal);
    expect(reads).toBe(1);
    // A backend that copies its options keeps the signal.
    expect({ ...carried }.signal).toBe(controller.signal);
    // A getter made per call (a closure over the call) would keep every call's objects alive past minor GCs.
    const other = withSignalOf({}, { signal: undefined });
    expect(getterOf(other, 'signal')).toBe(getterOf(carried, 'signal'));
    expect(other.signal).toBeUndefined();
    // The deadlines' own signal getters live on their prototypes, for the same reason.
    const first = callDeadline(1_000, undefined);
    const second = callDeadline(new AbortController().signal, undefined);
    expect(Object.getOwnPropertyDescriptor(first, 'signal')).toBeUndefined();
    expect(getterOf(first, 'signal')).toBe(getterOf(callDeadline(2_000, undefined), 'signal'));
    expect(getterOf(second, 'signal')).toBeUndefined();
    first.dispose();
  });

  it('makes the signal of a millisecond budget only when asked, aborted once the budget is spent', async () => {
    const deadline = callDeadline(15, undefined);
    expect(deadline.bounded).toBe(true);
    const early = deadline.signal;
    expect(early?.aborted).toBe(false);
    expect(deadline.signal).toBe(early);
    expect(await deadline.race(new Promise((resolve) => setTimeout(resolve, 200)))).toBe(deadlineExceeded);
    expect(early?.aborted).toBe(true);
    expect((early?.reason as LegacyIdpError).code).toBe('ERR_LEGACY_IDP_DEADLINE_EXCEEDED');

    // Asked for after the budget passed: made aborted.
    const spent = callDeadline(5, undefined);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(spent.signal?.aborted).toBe(true);
    expect(await spent.race(Promise.resolve(1))).toBe(deadlineExceeded);

    // dispose() stops the timer: the signal of a finished call never aborts.
    const finished = callDeadline(10, undefined);
    expect(await finished.race(Promise.resolve('ok'))).toBe('ok');
    finished.dispose();
    const signal = finished.signal;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(signal?.aborted).toBe(false);

    const none = callDeadline(undefined, undefined);
    expect(none.bounded).toBe(false);
    expect(none.signal).toBeUndefined();
    expect(() => callDeadline(-1, undefined)).toThrow(LegacyIdpError);
    expect(() => callDeadline(undefined, Number.POSITIVE_INFINITY)).toThrow(LegacyIdpError);
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
