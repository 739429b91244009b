/**
 * @parapipe/primitives: SCALE types, hashing, keys, the state trie, chain specs and slot math.
 * Pure: no I/O.
 */
export * from "./errors.js";
export * from "./hashing.js";
export * from "./trie/index.js";
export * from "./chainSpec/index.js";
