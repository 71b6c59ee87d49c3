import type { HashRegistry } from '../../src/hashes/registry.js';

/** One verification the recording registry passed on: the typed password, the stored value and the scheme asked for. */
export interface RecordedVerification {
  password: string;
  hash: string;
  scheme: string | undefined;
}

/**
 * A real registry that records each verification before running it: how the dummy-check tests see which stored
 * value an unknown user's sign-in was verified against, without timing anything. `close` does nothing (the test
 * closes `base`).
 */
export function recordingRegistry(base: HashRegistry): { registry: HashRegistry; calls: RecordedVerification[] } {
  const calls: RecordedVerification[] = [];
  return {
    calls,
    registry: {
      ...base,
      verify(password, hash, options) {
        calls.push({ password, hash, scheme: options?.scheme });
        return base.verify(password, hash, options);
      },
      close: () => Promise.resolve(),
    },
  };
}
