/**
 * @parapipe/storage: the node's LevelDB (bucket-prefixed key spaces, atomic cross-bucket batches, genesis
 * check) and the state trie node store with its in-memory cache.
 */
export { Bucket, Database, type GenesisCheck, type KeyRange, WriteBatch } from "./database.js";
export { DatabaseError, type DatabaseErrorType } from "./errors.js";
export { NodeCache } from "./nodeCache.js";
export { StateStore, type StateStoreOptions } from "./stateStore.js";
