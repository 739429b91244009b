import { MemoryNodeStore, type NodeStore, RecordingNodeStore } from "./nodeStore.js";
import { Trie } from "./trie.js";

/**
 * A storage proof: the distinct encoded nodes on the paths of `keys` in the trie at `root` (enough to show
 * each key's value or its absence). Throws `MissingNodeError` if `store` lacks a node on those paths.
 */
export function generateProof(store: NodeStore, root: Uint8Array, keys: readonly Uint8Array[]): Uint8Array[] {
  const recorder = new RecordingNodeStore(store);
  const trie = new Trie(recorder, root);
  for (const key of keys) trie.get(key);
  return recorder.recorded();
}

/**
 * The value of `key` in the trie at `root` according to `proof` (`undefined` = proven absent). Throws
 * `MissingNodeError` if the proof does not cover the key's path, `CorruptTrieNodeError` on malformed nodes.
 */
export function readProof(root: Uint8Array, proof: Iterable<Uint8Array>, key: Uint8Array): Uint8Array | undefined {
  return new Trie(MemoryNodeStore.fromNodes(proof), root).get(key);
}
