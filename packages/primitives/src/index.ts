/**
 * @parapipe/primitives: SCALE types, hashing, keys, the state trie, chain specs and slot math.
 * Pure: no I/O.
 */

export * from "./chainSpec/index.js";
export * from "./errors.js";
export * from "./genesis.js";
export * from "./hashing.js";
export * from "./keys.js";
export * from "./time.js";
export * from "./trie/index.js";
export * from "./types/index.js";
