export { builtinSchemes } from './builtin.js';
export { constantTimeEqual } from './codec.js';
export { defaultHashLimits } from './limits.js';
export { createHashRegistry, describeScheme } from './registry.js';
export type { HashRegistry, HashRegistryOptions, SchemeInfo, VerifyHashOptions } from './registry.js';
export type { Execution, HashContext, HashFamily, HashLimits, HashScheme, HashVerifyResult, SchemeVerdict, SchemeVerifyArgs } from './types.js';
