export { memoryStoreSchema, memoryUserSchema, memoryUserStore } from './memory-store.js';
export type { MemoryStoreOptions, MemoryUser } from './memory-store.js';
