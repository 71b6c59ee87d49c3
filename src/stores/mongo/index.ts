// legacy-idp/mongo: a user store over a MongoDB collection (optional peer `mongodb`, loaded on first use).
export { mongoStoreSchema, mongoUserStore } from './mongo-store.js';
export type { MongoStoreOptions } from './mongo-store.js';
