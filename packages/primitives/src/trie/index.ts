/**
 * The state trie: a synchronous radix-16 Merkle-Patricia trie with blake2-256 node hashing and no extension
 * nodes (Substrate-like layout, own node codec: see `codec.ts`), batched root computation, witness recording,
 * storage proofs and the per-block state overlay. Pure: no I/O.
 */
export { type ApplyChangesResult, applyChanges, orderedTrieRoot, trieRoot } from "./applyChanges.js";
export { decodeNode, EMPTY_TRIE_NODE, EMPTY_TRIE_ROOT, encodeNode, isEmptyRoot, type TrieNode } from "./codec.js";
export { CorruptTrieNodeError, MissingNodeError, StateOverlayError } from "./errors.js";
export { EMPTY_NODE_STORE, MemoryNodeStore, type NodeStore, RecordingNodeStore } from "./nodeStore.js";
export { StateOverlay } from "./overlay.js";
export { generateProof, readProof } from "./proof.js";
export { Trie } from "./trie.js";
