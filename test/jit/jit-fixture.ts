import { request as httpRequest } from 'node:http';
import { createHashRegistry, type HashRegistry } from '../../src/hashes/registry.js';

/** A registry without worker threads: worker start-up is not what the JIT tests measure. */
export function hashRegistryForTests(): HashRegistry {
  return createHashRegistry({ workers: false });
}

/**
 * Sends a POST, hangs up 100 ms later, and tells whether `aborted` settled within 3 s after that: 'aborted' or
 * 'not aborted'. For the tests that the handler's signal fires when the client goes away.
 */
export async function hangUpAndWatch(url: string, call: { headers?: Record<string, string>; body: string }, aborted: Promise<unknown>): Promise<string> {
  const request = httpRequest(url, { method: 'POST', ...(call.headers ? { headers: call.headers } : {}) });
  request.on('error', () => undefined);
  request.end(call.body);
  await new Promise((resolve) => setTimeout(resolve, 100));
  request.destroy();
  const gaveUp = new Promise<string>((resolve) => {
    setTimeout(() => {
      resolve('not aborted');
    }, 3_000).unref();
  });
  return Promise.race([aborted.then(() => 'aborted'), gaveUp]);
}
