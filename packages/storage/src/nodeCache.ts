import type { NodeStore } from "@parapipe/primitives";

interface Entry {
  readonly hash: Uint8Array;
  /** `undefined` once evicted (a stale identity-map entry then falls through to the hash table). */
  node: Uint8Array | undefined;
  /** Next entry in the same hash-table bucket. */
  chain: Entry | undefined;
  /** LRU list neighbours: `newer` towards the most recently used end. */
  newer: Entry | undefined;
  older: Entry | undefined;
}

/** Bytes counted per entry on top of the node itself (hash, entry, table slot). */
const ENTRY_OVERHEAD = 96;

/**
 * Trie nodes in memory, bounded by bytes with least-recently-used eviction. A synchronous `NodeStore`: a miss
 * is `undefined`, which the trie reports as `MissingNodeError` (see `StateStore.withState`). Nodes are kept by
 * reference and must not be mutated.
 */
export class NodeCache implements NodeStore {
  private readonly table = new Map<number, Entry>();
  // A trie walk asks again and again for the same child-hash views (held by decoded parent nodes): by
  // identity first, then by content.
  private readonly byIdentity = new WeakMap<Uint8Array, Entry>();
  private newest: Entry | undefined;
  private oldest: Entry | undefined;
  private count = 0;
  private used = 0;

  constructor(
    /** Upper bound on the bytes held (nodes plus a fixed overhead per node). */
    readonly maxBytes: number,
  ) {}

  /** Number of nodes held. */
  get size(): number {
    return this.count;
  }

  /** Bytes accounted for (nodes plus per-node overhead). */
  get bytes(): number {
    return this.used;
  }

  /** The node with this hash (marking it recently used), or `undefined`. */
  get(hash: Uint8Array): Uint8Array | undefined {
    let e = this.byIdentity.get(hash);
    if (e === undefined || e.node === undefined) {
      e = this.find(hash);
      if (e === undefined) return undefined;
      this.byIdentity.set(hash, e);
    }
    if (e !== this.newest) {
      this.unlink(e);
      this.pushNewest(e);
    }
    return e.node;
  }

  /** Whether the node is held (does not change the LRU order). */
  has(hash: Uint8Array): boolean {
    return this.find(hash) !== undefined;
  }

  /** Adds a node (most recently used), evicting the least recently used ones beyond `maxBytes`. */
  set(hash: Uint8Array, node: Uint8Array): void {
    const existing = this.find(hash);
    if (existing !== undefined) {
      if (existing !== this.newest) {
        this.unlink(existing);
        this.pushNewest(existing);
      }
      return;
    }
    const cost = node.length + ENTRY_OVERHEAD;
    if (cost > this.maxBytes) return;
    const key = bucketOf(hash);
    const e: Entry = { hash, node, chain: this.table.get(key), newer: undefined, older: undefined };
    this.table.set(key, e);
    this.pushNewest(e);
    this.count++;
    this.used += cost;
    while (this.used > this.maxBytes && this.oldest !== undefined) this.evict(this.oldest);
  }

  /** Drops every node. */
  clear(): void {
    for (let e = this.oldest; e !== undefined; e = e.newer) e.node = undefined;
    this.table.clear();
    this.newest = undefined;
    this.oldest = undefined;
    this.count = 0;
    this.used = 0;
  }

  private find(hash: Uint8Array): Entry | undefined {
    for (let e = this.table.get(bucketOf(hash)); e !== undefined; e = e.chain) {
      if (sameBytes(e.hash, hash)) return e;
    }
    return undefined;
  }

  private evict(e: Entry): void {
    this.unlink(e);
    const key = bucketOf(e.hash);
    let prev: Entry | undefined;
    for (let s = this.table.get(key); s !== undefined; prev = s, s = s.chain) {
      if (s !== e) continue;
      if (prev !== undefined) prev.chain = s.chain;
      else if (s.chain !== undefined) this.table.set(key, s.chain);
      else this.table.delete(key);
      break;
    }
    this.used -= e.node!.length + ENTRY_OVERHEAD;
    this.count--;
    e.node = undefined;
  }

  private unlink(e: Entry): void {
    if (e.newer !== undefined) e.newer.older = e.older;
    else this.newest = e.older;
    if (e.older !== undefined) e.older.newer = e.newer;
    else this.oldest = e.newer;
    e.newer = undefined;
    e.older = undefined;
  }

  private pushNewest(e: Entry): void {
    e.older = this.newest;
    e.newer = undefined;
    if (this.newest !== undefined) this.newest.newer = e;
    this.newest = e;
    if (this.oldest === undefined) this.oldest = e;
  }
}

/** Node hashes are uniformly random: their first 30 bits make a good small-integer table key. */
function bucketOf(hash: Uint8Array): number {
  if (hash.length < 4) return hash.length;
  return (hash[0] | (hash[1] << 8) | (hash[2] << 16) | ((hash[3] & 0x3f) << 24)) >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
