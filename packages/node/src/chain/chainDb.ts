import { bytesEqual, type NodeStore, ParapipeError, toHex, trieRoot } from "@parapipe/primitives";
import { Bucket, Database, DatabaseError, StateStore, type WriteBatch } from "@parapipe/storage";
import { ChainDbError } from "../errors.js";
import type { BlockInfo, BlockRef, ChainRuntime, Logger } from "../interface.js";
import { silentLogger } from "../util.js";
import { BlockTree, type BlockTreeView, type TreeRoute } from "./blockTree.js";

/** The genesis block a chain database is created with. */
export interface GenesisInput {
  /** SCALE genesis header (e.g. `genesisFromStorage(entries).header`). */
  header: Uint8Array;
  /** Its hash: the chain's genesis hash. */
  hash: Uint8Array;
  /** Genesis storage; only read when the database is new. */
  storageEntries: Iterable<readonly [Uint8Array, Uint8Array]>;
}

/** Options of `ChainDb.open`. */
export interface ChainDbOptions {
  genesis: GenesisInput;
  /** The chain spec id, recorded with the genesis hash (named in the error when another chain opens it). */
  chainId: string;
  /** Bound of the state trie node cache in bytes (`StateStore` default 256 MiB). */
  stateCacheBytes?: number;
}

/** What `ChainDb` needs besides options. */
export interface ChainDbModules {
  /** Header decoding (the chain's runtime adapter). */
  runtime: Pick<ChainRuntime, "decodeHeader">;
  logger?: Logger;
}

/** Whether `ChainDb.open` created the chain or resumed it. */
export type ChainDbOpened = "initialised" | "resumed";

const enc = new TextEncoder();
const META_BEST = enc.encode("best");
const META_FINALIZED = enc.encode("finalized");
const META_LEAVES = enc.encode("leaves");
const HASH_LEN = 32;
const REF_LEN = HASH_LEN + 4;

/**
 * The chain's database: bucket repositories over one LevelDB (headers and blocks by hash, the canonical
 * number → hash index, justifications by hash, the best/finalized/leaves meta entries), the state trie
 * store, and the in-memory tree of unfinalized blocks rebuilt from the leaves on open.
 *
 * Reads are open to everyone. The `write*` methods are the import pipeline's: `BlockImporter` calls them one
 * at a time from its queue; each is one atomic batch, and memory is updated only after the batch is on disk.
 */
export class ChainDb {
  private bestBlock: BlockInfo;

  private constructor(
    /** The LevelDB (other components keep their buckets in it, e.g. the collator's segment). */
    readonly db: Database,
    /** State trie nodes with their cache. */
    readonly state: StateStore,
    private readonly blockTree: BlockTree,
    best: BlockInfo,
    /** The genesis hash. */
    readonly genesisHash: Uint8Array,
    /** The chain id recorded with the genesis. */
    readonly chainId: string,
    /** Whether this open created the chain or resumed it. */
    readonly opened: ChainDbOpened,
    private readonly runtime: Pick<ChainRuntime, "decodeHeader">,
  ) {
    this.bestBlock = best;
  }

  /**
   * Opens the chain database at `path`. A new database is initialised with the genesis state, header and
   * meta; an existing one is checked (a database of another chain is refused with the storage
   * `GENESIS_MISMATCH` error, nothing written) and resumed at its stored best and finalized blocks. Stored
   * entries that do not hold together give `DatabaseError` `DB_CORRUPT` naming the entry.
   */
  static async open(path: string, opts: ChainDbOptions, modules: ChainDbModules): Promise<ChainDb> {
    const logger = modules.logger ?? silentLogger;
    const genesis = decodeGenesis(opts.genesis, modules.runtime);
    const db = await Database.open(path);
    try {
      const recorded = await db.genesis();
      // Refuses another chain's database before anything is written.
      if (recorded !== undefined) await db.checkOrInitGenesis(opts.genesis.hash, opts.chainId);
      const reader = new MetaReader(db, modules.runtime);
      const state = new StateStore(db, { cacheBytes: opts.stateCacheBytes });
      let opened: ChainDbOpened = "resumed";
      if (recorded === undefined || (await db.get(Bucket.meta, META_BEST)) === undefined) {
        // A new database, or one whose initialisation was interrupted (the meta entries are written last).
        const entries = [...opts.genesis.storageEntries];
        const root = trieRoot(entries);
        if (!bytesEqual(root, genesis.stateRoot)) {
          throw new ChainDbError(
            { code: "GENESIS_INVALID", reason: "state root" },
            `the genesis header's state root ${toHex(genesis.stateRoot)} is not the root of the genesis storage (${toHex(root)})`,
          );
        }
        await db.checkOrInitGenesis(opts.genesis.hash, opts.chainId);
        await state.initGenesis(entries);
        const batch = db.batch();
        batch.put(Bucket.header, genesis.hash, opts.genesis.header);
        batch.put(Bucket.blockNumber, numberKey(0), genesis.hash);
        batch.put(Bucket.meta, META_FINALIZED, encodeRef(genesis));
        batch.put(Bucket.meta, META_LEAVES, genesis.hash);
        batch.put(Bucket.meta, META_BEST, encodeRef(genesis));
        await batch.write();
        opened = "initialised";
        logger.info({ path, chainId: opts.chainId, genesis: toHex(genesis.hash) }, "Initialised chain database");
      }
      const finalized = await reader.refBlock(META_FINALIZED);
      const best = await reader.refBlock(META_BEST);
      const canonicalGenesis = await db.get(Bucket.blockNumber, numberKey(0));
      if (canonicalGenesis === undefined || !bytesEqual(canonicalGenesis, genesis.hash)) {
        throw corrupt(db, `canonical block #0 is ${canonicalGenesis ? toHex(canonicalGenesis) : "missing"}`);
      }
      const tree = new BlockTree(finalized);
      await reader.loadTree(tree, logger);
      const bestInTree = tree.get(best.hash);
      if (bestInTree === undefined) {
        throw corrupt(db, `best block ${toHex(best.hash)} is not a known descendant of the finalized block`);
      }
      for (const b of [finalized, best]) {
        const canonical = await db.get(Bucket.blockNumber, numberKey(b.number));
        if (canonical === undefined || !bytesEqual(canonical, b.hash)) {
          throw corrupt(db, `canonical index at #${b.number} does not point at ${toHex(b.hash)}`);
        }
      }
      const chain = new ChainDb(db, state, tree, bestInTree, opts.genesis.hash, opts.chainId, opened, modules.runtime);
      if (opened === "resumed") {
        logger.info(
          { path, best: best.number, bestHash: toHex(best.hash), finalized: finalized.number, leaves: tree.size },
          "Resumed chain database",
        );
      }
      return chain;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** The best block (head of the canonical chain). */
  get best(): BlockInfo {
    return this.bestBlock;
  }

  /** The finalized block. */
  get finalized(): BlockInfo {
    return this.blockTree.root;
  }

  /** The finalized block and its known descendants. */
  get tree(): BlockTreeView {
    return this.blockTree;
  }

  /** The SCALE header of a stored block. */
  header(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(Bucket.header, hash);
  }

  /** A stored block as it was imported (header and extrinsics); the genesis block has none. */
  block(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(Bucket.body, hash);
  }

  /** The justification stored with a finalized block. */
  justification(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(Bucket.justification, hash);
  }

  /** The hash of the canonical (best-chain) block at `number`. */
  canonicalHash(number: number): Promise<Uint8Array | undefined> {
    if (!Number.isInteger(number) || number < 0 || number > 0xffffffff) return Promise.resolve(undefined);
    return this.db.get(Bucket.blockNumber, numberKey(number));
  }

  /** Facts about a stored block (from the tree, else its stored header). */
  async blockInfo(hash: Uint8Array): Promise<BlockInfo | undefined> {
    const inTree = this.blockTree.get(hash);
    if (inTree !== undefined) return inTree;
    const header = await this.header(hash);
    if (header === undefined) return undefined;
    return decodeStoredHeader(this.db, this.runtime, hash, header);
  }

  /** Whether the block is stored (in the unfinalized tree or in finalized history). */
  async hasBlock(hash: Uint8Array): Promise<boolean> {
    return this.blockTree.has(hash) || (await this.header(hash)) !== undefined;
  }

  /** Runs `fn` over the state store, loading missing trie nodes from disk (`StateStore.withState`). */
  withState<T>(fn: (store: NodeStore) => T): Promise<T> {
    return this.state.withState(fn);
  }

  /** Closes the database. Safe to call twice. */
  close(): Promise<void> {
    return this.db.close();
  }

  /** @internal Adds an imported block to the in-memory tree before fork choice looks at it. */
  addToTree(info: BlockInfo): void {
    this.blockTree.add(info);
  }

  /** @internal Undoes `addToTree` after a failed write. */
  removeFromTree(hash: Uint8Array): void {
    this.blockTree.removeLeaf(hash);
  }

  /**
   * @internal Persists an imported block (already in the tree) in one batch: state nodes, header, block,
   * leaves and, when it changes the best block, the canonical index and the best pointer.
   */
  async writeImport(
    block: { info: BlockInfo; header: Uint8Array; body: Uint8Array; newNodes: ReadonlyMap<string, Uint8Array> },
    newBest: { block: BlockInfo; route: TreeRoute } | undefined,
  ): Promise<void> {
    const batch = this.db.batch();
    this.state.writeNodes(batch, block.newNodes);
    batch.put(Bucket.header, block.info.hash, block.header);
    batch.put(Bucket.body, block.info.hash, block.body);
    batch.put(Bucket.meta, META_LEAVES, encodeLeaves(this.blockTree.leaves()));
    if (newBest !== undefined) this.putBest(batch, newBest.block, newBest.route);
    await batch.write();
    if (newBest !== undefined) this.bestBlock = newBest.block;
  }

  /** @internal Moves the best block (canonical index and best pointer in one batch). */
  async writeBest(best: BlockInfo, route: TreeRoute): Promise<void> {
    const batch = this.db.batch();
    this.putBest(batch, best, route);
    await batch.write();
    this.bestBlock = best;
  }

  /**
   * @internal Finalizes `target` (a descendant of the finalized block on the best chain after `newBest`): in
   * one batch the finalized pointer, the justification, the deletion of the forks that do not descend from it
   * (headers and blocks; state nodes are kept), the leaves and, if given, the best-chain change. Returns the
   * newly finalized blocks (ascending) and the pruned ones.
   */
  async writeFinality(
    target: BlockInfo,
    justification: Uint8Array | undefined,
    newBest: { block: BlockInfo; route: TreeRoute } | undefined,
  ): Promise<{ finalized: BlockInfo[]; pruned: BlockInfo[] }> {
    const pruned = this.blockTree.wouldPrune(target.hash);
    const prunedHex = new Set(pruned.map((b) => toHex(b.hash)));
    const batch = this.db.batch();
    for (const b of pruned) {
      batch.del(Bucket.header, b.hash);
      batch.del(Bucket.body, b.hash);
    }
    batch.put(
      Bucket.meta,
      META_LEAVES,
      encodeLeaves(this.blockTree.leaves().filter((b) => !prunedHex.has(toHex(b.hash)))),
    );
    if (justification !== undefined) batch.put(Bucket.justification, target.hash, justification);
    batch.put(Bucket.meta, META_FINALIZED, encodeRef(target));
    if (newBest !== undefined) this.putBest(batch, newBest.block, newBest.route);
    await batch.write();
    if (newBest !== undefined) this.bestBlock = newBest.block;
    return this.blockTree.reroot(target.hash);
  }

  private putBest(batch: WriteBatch, best: BlockInfo, route: TreeRoute): void {
    for (const b of route.enacted) batch.put(Bucket.blockNumber, numberKey(b.number), b.hash);
    // A shorter new best chain (possible under a para fork-choice rule) leaves no canonical entries above it.
    for (let n = best.number + 1; n <= this.bestBlock.number; n++) batch.del(Bucket.blockNumber, numberKey(n));
    batch.put(Bucket.meta, META_BEST, encodeRef(best));
  }
}

/** Reads and checks the meta entries and the headers they point at. */
class MetaReader {
  constructor(
    private readonly db: Database,
    private readonly runtime: Pick<ChainRuntime, "decodeHeader">,
  ) {}

  /** The block a `best`/`finalized` meta entry points at, checked against its stored header. */
  async refBlock(key: Uint8Array): Promise<BlockInfo> {
    const name = new TextDecoder().decode(key);
    const raw = await this.db.get(Bucket.meta, key);
    if (raw === undefined) throw corrupt(this.db, `meta "${name}" is missing`);
    if (raw.length !== REF_LEN) {
      throw corrupt(this.db, `meta "${name}" is ${raw.length} bytes, expected ${REF_LEN} (block hash and u32 number)`);
    }
    const ref = decodeRef(raw);
    const info = await this.storedBlock(ref.hash, `the ${name} block`);
    if (info.number !== ref.number) {
      throw corrupt(this.db, `meta "${name}" says #${ref.number}, its header ${toHex(ref.hash)} says #${info.number}`);
    }
    return info;
  }

  /**
   * Rebuilds the unfinalized tree from the stored leaves: each leaf is walked back to the finalized height.
   * Branches that do not end at the finalized block (left by an older finality step) are deleted.
   */
  async loadTree(tree: BlockTree, logger: Logger): Promise<void> {
    const raw = await this.db.get(Bucket.meta, META_LEAVES);
    if (raw === undefined) throw corrupt(this.db, `meta "leaves" is missing`);
    if (raw.length % HASH_LEN !== 0 || raw.length === 0) {
      throw corrupt(this.db, `meta "leaves" is ${raw.length} bytes, expected a non-empty multiple of ${HASH_LEN}`);
    }
    const root = tree.root;
    const stale = new Map<string, BlockInfo>();
    for (let off = 0; off < raw.length; off += HASH_LEN) {
      const branch: BlockInfo[] = [];
      let hash: Uint8Array = raw.slice(off, off + HASH_LEN);
      let descends = true;
      while (!tree.has(hash)) {
        const info = await this.storedBlock(hash, "a leaf's ancestor");
        if (info.number <= root.number) {
          descends = false;
          break;
        }
        branch.push(info);
        hash = info.parentHash;
      }
      if (descends) for (const b of branch.reverse()) tree.add(b);
      else for (const b of branch) stale.set(toHex(b.hash), b);
    }
    if (stale.size > 0) {
      const batch = this.db.batch();
      for (const b of stale.values()) {
        batch.del(Bucket.header, b.hash);
        batch.del(Bucket.body, b.hash);
      }
      batch.put(Bucket.meta, META_LEAVES, encodeLeaves(tree.leaves()));
      await batch.write();
      logger.warn({ pruned: stale.size }, "Pruned stored forks that do not descend from the finalized block");
    }
  }

  private async storedBlock(hash: Uint8Array, what: string): Promise<BlockInfo> {
    const header = await this.db.get(Bucket.header, hash);
    if (header === undefined) throw corrupt(this.db, `header ${toHex(hash)} of ${what} is missing`);
    return decodeStoredHeader(this.db, this.runtime, hash, header);
  }
}

function decodeStoredHeader(
  db: Database,
  runtime: Pick<ChainRuntime, "decodeHeader">,
  hash: Uint8Array,
  header: Uint8Array,
): BlockInfo {
  let info: BlockInfo;
  try {
    info = runtime.decodeHeader(header);
  } catch (err) {
    throw corrupt(db, `header ${toHex(hash)} does not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!bytesEqual(info.hash, hash)) {
    throw corrupt(db, `header stored under ${toHex(hash)} hashes to ${toHex(info.hash)}`);
  }
  return info;
}

function decodeGenesis(genesis: GenesisInput, runtime: Pick<ChainRuntime, "decodeHeader">): BlockInfo {
  let info: BlockInfo;
  try {
    info = runtime.decodeHeader(genesis.header);
  } catch (err) {
    const detail = err instanceof ParapipeError || err instanceof Error ? err.message : String(err);
    throw new ChainDbError(
      { code: "GENESIS_INVALID", reason: "header" },
      `the genesis header does not decode: ${detail}`,
    );
  }
  if (!bytesEqual(info.hash, genesis.hash) || info.number !== 0) {
    throw new ChainDbError(
      { code: "GENESIS_INVALID", reason: "hash" },
      `the genesis header (#${info.number}, ${toHex(info.hash)}) is not block #0 ${toHex(genesis.hash)}`,
    );
  }
  return info;
}

function corrupt(db: Database, reason: string): DatabaseError {
  return new DatabaseError({ code: "DB_CORRUPT", path: db.path, reason }, `database at ${db.path}: ${reason}`);
}

/** Canonical index key: the block number as 4 big-endian bytes (so keys sort by number). */
function numberKey(n: number): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, n, false);
  return k;
}

function encodeRef(b: BlockRef): Uint8Array {
  const out = new Uint8Array(REF_LEN);
  out.set(b.hash, 0);
  new DataView(out.buffer).setUint32(HASH_LEN, b.number, true);
  return out;
}

function decodeRef(raw: Uint8Array): BlockRef {
  return {
    hash: raw.slice(0, HASH_LEN),
    number: new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(HASH_LEN, true),
  };
}

function encodeLeaves(leaves: readonly BlockInfo[]): Uint8Array {
  const out = new Uint8Array(leaves.length * HASH_LEN);
  leaves.forEach((b, i) => {
    out.set(b.hash, i * HASH_LEN);
  });
  return out;
}
