import {
  applyChanges,
  blake2_256,
  bytesEqual,
  decodeNode,
  EMPTY_NODE_STORE,
  EMPTY_TRIE_ROOT,
  fromHex,
  isEmptyRoot,
  MemoryNodeStore,
  MissingNodeError,
  type NodeStore,
  Trie,
  toHex,
} from "@parapipe/primitives";
import { Bucket, type Database, type WriteBatch } from "./database.js";
import { DatabaseError } from "./errors.js";
import { NodeCache } from "./nodeCache.js";

/** Options of `StateStore`. */
export interface StateStoreOptions {
  /** Bound of the in-memory node cache in bytes. Default 256 MiB. */
  cacheBytes?: number;
  /**
   * After loading a missing node, also load up to this many of its descendants, breadth-first, one LevelDB
   * round trip per level (they are what the rerun will ask for next). Default 256; 0 disables.
   */
  prefetchNodes?: number;
}

/**
 * State trie nodes in LevelDB (`Bucket.stateNode`, hash → encoded node) behind a bounded in-memory cache.
 * Block execution is synchronous and runs on `nodeStore()` (the cache); `withState` fills the cache from disk
 * whenever a synchronous run hits a node it lacks, then runs it again.
 */
export class StateStore {
  /** The in-memory node cache (nodes written by this process and nodes loaded from disk). */
  readonly cache: NodeCache;
  private readonly prefetchNodes: number;

  constructor(
    private readonly db: Database,
    opts: StateStoreOptions = {},
  ) {
    this.cache = new NodeCache(opts.cacheBytes ?? 256 * 1024 * 1024);
    this.prefetchNodes = opts.prefetchNodes ?? 256;
  }

  /** A synchronous view of the cache: a node it lacks reads as a `MissingNodeError` in the trie. */
  nodeStore(): NodeStore {
    return this.cache;
  }

  /**
   * Runs `fn` over the state; whenever it throws `MissingNodeError`, loads that node from LevelDB (verifying
   * its hash, `DB_CORRUPT` on mismatch) plus some of its descendants, and runs `fn` again. `fn` must therefore
   * be re-runnable (no side effects outside what it returns). Rethrows the `MissingNodeError` if LevelDB
   * lacks the node too. Nodes loaded during the call stay available to it even if the cache evicts them.
   */
  async withState<T>(fn: (store: NodeStore) => T): Promise<T> {
    const pinned = new MemoryNodeStore();
    const cache = this.cache;
    const view: NodeStore = { get: (hash) => cache.get(hash) ?? pinned.get(hash) };
    for (;;) {
      try {
        return fn(view);
      } catch (err) {
        if (!(err instanceof MissingNodeError)) throw err;
        const hash = err.type.hash;
        // A node we already hold reported missing again: fn is not deterministic, do not loop.
        if (pinned.has(hash)) throw err;
        const node = await this.loadNode(hash);
        if (node === undefined) throw err;
        pinned.put(hash, node);
        this.cache.set(hash, node);
        await this.loadBelow([node], this.prefetchNodes, pinned);
      }
    }
  }

  /** The value of `key` in the state at `root` (loading nodes from disk as needed). */
  async get(root: Uint8Array, key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.withState((store) => new Trie(store, root).get(key));
  }

  /** Up to `count` keys with `prefix`, strictly after `startAfter`, in the state at `root` (key order). */
  async keysPaged(root: Uint8Array, prefix: Uint8Array, count: number, startAfter?: Uint8Array): Promise<Uint8Array[]> {
    return this.withState((store) => new Trie(store, root).keysPaged(prefix, count, startAfter));
  }

  /**
   * Queues the `newNodes` of `applyChanges` / `StateOverlay.commit` in `batch` (written atomically with the
   * block that produced them) and adds them to the cache.
   */
  writeNodes(batch: WriteBatch, newNodes: ReadonlyMap<string, Uint8Array>): void {
    for (const [hex, node] of newNodes) {
      const hash = fromHex(hex);
      batch.put(Bucket.stateNode, hash, node);
      this.cache.set(hash, node);
    }
  }

  /** Builds the genesis state from `entries`, persists its nodes, and returns its root. */
  async initGenesis(entries: Iterable<readonly [Uint8Array, Uint8Array]>): Promise<Uint8Array> {
    const { root, newNodes } = applyChanges(EMPTY_NODE_STORE, EMPTY_TRIE_ROOT, entries);
    const batch = this.db.batch();
    this.writeNodes(batch, newNodes);
    await batch.write();
    return root;
  }

  /** The node `hash` from LevelDB, verified against its hash; `undefined` if not stored. */
  async loadNode(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const node = await this.db.get(Bucket.stateNode, hash);
    if (node !== undefined) this.verify(hash, node);
    return node;
  }

  private verify(hash: Uint8Array, node: Uint8Array): void {
    const actual = blake2_256(node);
    if (bytesEqual(actual, hash)) return;
    const reason = `state node ${toHex(hash)} hashes to ${toHex(actual)}`;
    throw new DatabaseError(
      { code: "DB_CORRUPT", path: this.db.path, reason },
      `database at ${this.db.path}: ${reason}`,
    );
  }

  /**
   * Loads the top of the state at `root` into the cache, breadth-first, until `maxNodes` nodes were loaded or
   * the cache is full: call it on start-up with the best block's state root so the first blocks do not
   * execute on a cold cache. Returns how many nodes were loaded.
   */
  async warm(root: Uint8Array, maxNodes = Number.POSITIVE_INFINITY): Promise<number> {
    if (isEmptyRoot(root) || maxNodes <= 0) return 0;
    let node = this.cache.get(root);
    let loaded = 0;
    if (node === undefined) {
      node = await this.loadNode(root);
      if (node === undefined) return 0;
      this.cache.set(root, node);
      loaded++;
    }
    return loaded + (await this.loadBelow([node], maxNodes - loaded, undefined, true));
  }

  /**
   * Loads descendants of `nodes` breadth-first (one getMany per level) into the cache and `pinned`, up to
   * `budget` nodes; stops when the cache is full if `untilFull`. Returns how many were loaded.
   */
  private async loadBelow(
    nodes: Uint8Array[],
    budget: number,
    pinned: MemoryNodeStore | undefined,
    untilFull = false,
  ): Promise<number> {
    let level = nodes;
    let loadedCount = 0;
    while (level.length > 0 && budget > 0) {
      const wanted: Uint8Array[] = [];
      const next: Uint8Array[] = [];
      for (const n of level) {
        let children: readonly (Uint8Array | undefined)[] | undefined;
        try {
          children = decodeNode(n)?.children;
        } catch {
          continue; // the trie reports a malformed node when it reads it
        }
        for (const child of children ?? []) {
          if (child === undefined || budget === 0) continue;
          const cached = this.cache.get(child) ?? pinned?.get(child);
          if (cached !== undefined) {
            if (untilFull) next.push(cached);
            continue;
          }
          wanted.push(child);
          budget--;
        }
      }
      const loaded = wanted.length === 0 ? [] : await this.db.getMany(Bucket.stateNode, wanted);
      for (let i = 0; i < wanted.length; i++) {
        const child = loaded[i];
        if (child === undefined) continue;
        this.verify(wanted[i], child);
        pinned?.put(wanted[i], child);
        this.cache.set(wanted[i], child);
        next.push(child);
        loadedCount++;
      }
      if (untilFull && this.cache.bytes + 64 * 1024 > this.cache.maxBytes) break;
      level = next;
    }
    return loadedCount;
  }
}
