import type { Logger } from '../../src/core/logger.js';
import { createGraphClient, isGraphError, type GraphClientOptions, type GraphError } from '../../src/graph/index.js';
import type { GraphEmulator } from '../harness/graph-emulator.js';

/** A clock shared by the client (token expiry, waits) and the emulator (token expiry, quota refill). */
export function fakeClock(start = Date.parse('2025-03-01T12:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

/** Every log line, as the JSON a sink would write (fields not redacted: the client itself must not pass secrets). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Readonly<Record<string, unknown>>): void => {
      lines.push(JSON.stringify({ level, message, ...fields }, (_key, value: unknown) => (value instanceof Error ? { message: value.message, code: (value as { code?: unknown }).code } : value)));
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** What a Graph client needs to reach the emulator: its tenant, app credentials and URLs. */
export function emulatorEndpoints(emulator: GraphEmulator): Pick<GraphClientOptions, 'tenantId' | 'clientId' | 'clientSecret' | 'authorityUrl' | 'graphUrl'> {
  return { tenantId: emulator.tenantId, clientId: emulator.clientId, clientSecret: emulator.clientSecret, authorityUrl: emulator.url, graphUrl: emulator.url };
}

/** A client for the emulator whose waits are recorded (and advance `clock` when given) instead of slept. */
export function emulatorClient(
  emulator: GraphEmulator,
  overrides: Partial<GraphClientOptions> = {},
  clock?: { now: () => number; advance: (ms: number) => void },
): { client: ReturnType<typeof createGraphClient>; waits: number[] } {
  const waits: number[] = [];
  const client = createGraphClient({
    ...emulatorEndpoints(emulator),
    sleep: (ms) => {
      waits.push(ms);
      clock?.advance(ms);
      return Promise.resolve();
    },
    ...(clock === undefined ? {} : { now: clock.now }),
    ...overrides,
  });
  return { client, waits };
}

let counter = 0;
/** A distinct e-mail sign-in name per call. */
export const uniqueEmail = (prefix = 'user'): string => `${prefix}${++counter}@example.com`;

/** The GraphError a promise rejects with; anything else (or no rejection) fails the test. */
export async function caught(promise: Promise<unknown>): Promise<GraphError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isGraphError(error)) throw new Error(`expected a GraphError, got ${String(error)}`);
  return error;
}
