import { decodeNode, isEmptyRoot, type TrieNode } from "./codec.js";
import { CorruptTrieNodeError, MissingNodeError } from "./errors.js";
import { fromNibbles, toNibbles } from "./nibbles.js";
import type { NodeStore } from "./nodeStore.js";

// Decoded nodes by the identity of their encoded bytes: stores hand out the same bytes object for a hash, so
// each node is decoded (and validated) once however many tries and stores share it, while every read still
// goes through the store (which keeps witness recording and MissingNodeError exact).
const decoded = new WeakMap<Uint8Array, TrieNode | null>();

/**
 * Loads and decodes the node `hash` from `store`. Throws `MissingNodeError` if the store lacks it and
 * `CorruptTrieNodeError` if its bytes are malformed or it is the empty node (which is never a child).
 */
export function loadNode(store: NodeStore, hash: Uint8Array): TrieNode {
  const bytes = store.get(hash);
  if (bytes === undefined) throw new MissingNodeError(hash.slice());
  let node = decoded.get(bytes);
  if (node === undefined) {
    node = decodeNode(bytes, hash);
    decoded.set(bytes, node);
  }
  if (node === null) throw new CorruptTrieNodeError("the empty node referenced as a trie node", hash.slice());
  return node;
}

const NO_BYTES = new Uint8Array(0);

interface Frame {
  readonly hash: Uint8Array;
  /** Nibble path of the parent node (including its partial key). */
  readonly parent: Uint8Array;
  /** Index of this node in its parent, or -1 for the root. */
  readonly index: number;
}

/**
 * Read access to one state: a radix-16 Merkle-Patricia trie (blake2-256, no extension nodes) whose root is
 * `root`, with nodes from `store`. Synchronous; reading a node the store lacks throws `MissingNodeError`.
 */
export class Trie {
  private readonly empty: boolean;

  constructor(
    /** Where the nodes come from. */
    readonly store: NodeStore,
    /** The state root. */
    readonly root: Uint8Array,
  ) {
    this.empty = isEmptyRoot(root);
  }

  /** The value stored under `key`, or `undefined` (an empty value is a value). */
  get(key: Uint8Array): Uint8Array | undefined {
    if (this.empty) return undefined;
    const total = key.length * 2;
    let node = loadNode(this.store, this.root);
    let pos = 0;
    for (;;) {
      const partial = node.partial;
      const plen = partial.length;
      if (pos + plen > total) return undefined;
      for (let i = 0; i < plen; i++, pos++) {
        const nib = pos & 1 ? key[pos >>> 1] & 15 : key[pos >>> 1] >>> 4;
        if (nib !== partial[i]) return undefined;
      }
      const children = node.children;
      if (pos === total) return node.value;
      if (children === undefined) return undefined;
      const child = children[pos & 1 ? key[pos >>> 1] & 15 : key[pos >>> 1] >>> 4];
      if (child === undefined) return undefined;
      pos++;
      node = loadNode(this.store, child);
    }
  }

  /**
   * The `[key, value]` pairs in key order whose key starts with `prefix` and, if given, is strictly greater
   * than `startAfter`. Only nodes that can hold such keys are read.
   */
  *entries(prefix: Uint8Array = NO_BYTES, startAfter?: Uint8Array): Generator<[Uint8Array, Uint8Array]> {
    if (this.empty) return;
    const pre = toNibbles(prefix);
    const after = startAfter === undefined ? undefined : toNibbles(startAfter);
    const stack: Frame[] = [{ hash: this.root, parent: NO_BYTES, index: -1 }];
    while (stack.length > 0) {
      const frame = stack.pop()!;
      const node = loadNode(this.store, frame.hash);
      const base = frame.parent.length + (frame.index < 0 ? 0 : 1);
      const path = new Uint8Array(base + node.partial.length);
      path.set(frame.parent);
      if (frame.index >= 0) path[base - 1] = frame.index;
      path.set(node.partial, base);
      if (!mayHoldWanted(path, path.length, -1, pre, after)) continue;
      if (node.value !== undefined && path.length >= pre.length && (after === undefined || lessThan(after, path))) {
        if (path.length & 1) throw new CorruptTrieNodeError("a value at an odd nibble depth", frame.hash.slice());
        yield [fromNibbles(path), node.value];
      }
      const children = node.children;
      if (children === undefined) continue;
      for (let i = 15; i >= 0; i--) {
        const child = children[i];
        if (child !== undefined && mayHoldWanted(path, path.length, i, pre, after)) {
          stack.push({ hash: child, parent: path, index: i });
        }
      }
    }
  }

  /** Up to `count` keys in key order that start with `prefix` and are strictly after `startAfter`. */
  keysPaged(prefix: Uint8Array, count: number, startAfter?: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (count <= 0) return out;
    for (const [key] of this.entries(prefix, startAfter)) {
      out.push(key);
      if (out.length >= count) break;
    }
    return out;
  }
}

/**
 * Whether the subtree at nibble path `path[0..len)` (+ `extra` if >= 0) can hold a key that starts with
 * `pre` and is greater than `after`.
 */
function mayHoldWanted(
  path: Uint8Array,
  len: number,
  extra: number,
  pre: Uint8Array,
  after: Uint8Array | undefined,
): boolean {
  const total = extra >= 0 ? len + 1 : len;
  const n = Math.min(total, pre.length);
  for (let i = 0; i < n; i++) if ((i < len ? path[i] : extra) !== pre[i]) return false;
  if (after === undefined) return true;
  const m = Math.min(total, after.length);
  for (let i = 0; i < m; i++) {
    const d = (i < len ? path[i] : extra) - after[i];
    if (d !== 0) return d > 0;
  }
  // One is a prefix of the other: the subtree holds keys on both sides of `after`, or all above it.
  return true;
}

/** a < b for nibble paths. */
function lessThan(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return a.length < b.length;
}
