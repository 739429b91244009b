import { blake2_256, fromHex } from "../hashing.js";
import { BytesMap, hashRandomBytes } from "./bytesMap.js";

/**
 * Where a trie finds its nodes: the encoded node by its blake2-256 hash, synchronously. `undefined` means
 * the store does not have the node, which the trie turns into `MissingNodeError` (never into "no value").
 * Implementations return the same bytes for the same hash; nobody mutates node bytes or hash arrays once they
 * were handed over (stores may remember a hash array by identity).
 */
export interface NodeStore {
  /** The encoded node whose hash is `hash`, or `undefined` if this store does not have it. */
  get(hash: Uint8Array): Uint8Array | undefined;
}

/** A store that has no node at all: enough for building a trie from scratch (see `trieRoot`). */
export const EMPTY_NODE_STORE: NodeStore = { get: () => undefined };

/**
 * In-memory node store: a full trie for tests and tools, or a partial trie (a proof or a PoV witness) built
 * with `fromNodes`.
 */
export class MemoryNodeStore implements NodeStore {
  private readonly nodes = new BytesMap<Uint8Array>(hashRandomBytes);
  // Lookups by the identity of the hash array first: a trie walk asks for the same child-hash views (held by
  // cached decoded nodes) again and again, and a WeakMap hit is several times cheaper than comparing bytes.
  // Sound because nodes are never removed and hash arrays are never mutated.
  private readonly byIdentity = new WeakMap<Uint8Array, Uint8Array>();

  /** A store of these encoded nodes, each keyed by its own blake2-256 hash (e.g. a witness or a proof). */
  static fromNodes(nodes: Iterable<Uint8Array>): MemoryNodeStore {
    const store = new MemoryNodeStore();
    for (const node of nodes) store.put(blake2_256(node), node);
    return store;
  }

  /** The encoded node with this hash, if present. */
  get(hash: Uint8Array): Uint8Array | undefined {
    let node = this.byIdentity.get(hash);
    if (node !== undefined) return node;
    node = this.nodes.get(hash);
    if (node !== undefined) this.byIdentity.set(hash, node);
    return node;
  }

  /** Whether the node with this hash is present. */
  has(hash: Uint8Array): boolean {
    return this.nodes.has(hash);
  }

  /** Stores an encoded node under its hash. The hash is trusted: `fromNodes` is the verifying path. */
  put(hash: Uint8Array, node: Uint8Array): void {
    this.nodes.set(hash, node);
  }

  /** Stores the `newNodes` of `applyChanges` (0x-hex hash → encoded node). */
  putNodes(newNodes: ReadonlyMap<string, Uint8Array>): void {
    for (const [hex, node] of newNodes) this.nodes.set(fromHex(hex), node);
  }

  /** Number of nodes held. */
  get size(): number {
    return this.nodes.size;
  }

  /** Every `[hash, encodedNode]` pair (unspecified order). */
  entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.nodes.entries();
  }
}

/**
 * Wraps a store and records every node read through it, once each: the state witness of a block (what a
 * PoV carries) or the nodes of a proof. `MemoryNodeStore.fromNodes(recorded())` alone replays the same reads.
 */
export class RecordingNodeStore implements NodeStore {
  private readonly seen = new BytesMap<true>(hashRandomBytes);
  private readonly seenIdentity = new WeakSet<Uint8Array>();
  private readonly list: Uint8Array[] = [];
  private bytes = 0;

  constructor(private readonly inner: NodeStore) {}

  /** Reads from the inner store and records the node if it was found. */
  get(hash: Uint8Array): Uint8Array | undefined {
    const node = this.inner.get(hash);
    if (node === undefined || this.seenIdentity.has(hash)) return node;
    this.seenIdentity.add(hash);
    if (!this.seen.has(hash)) {
      this.seen.set(hash, true);
      this.list.push(node);
      this.bytes += node.length;
    }
    return node;
  }

  /** The distinct encoded nodes read so far, in first-read order. */
  recorded(): Uint8Array[] {
    return this.list.slice();
  }

  /** Total size in bytes of the recorded nodes (the witness size). */
  get recordedBytes(): number {
    return this.bytes;
  }
}
