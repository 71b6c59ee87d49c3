import { createHashRegistry, type HashRegistry } from '../../src/hashes/registry.js';

/** A registry without worker threads: worker start-up is not what the JIT tests measure. */
export function hashRegistryForTests(): HashRegistry {
  return createHashRegistry({ workers: false });
}
