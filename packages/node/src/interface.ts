/**
 * The types other packages program against: what the node needs from a runtime (`ChainRuntime`), the block
 * facts the chain machinery works with, the logger it writes to, and the chain events it emits.
 */
import type { NodeStore, ParapipeError } from "@parapipe/primitives";

/**
 * A runtime outcome: a value, or the typed error that explains why not. The same shape as the runtime
 * package's `Result`, declared here so the node does not depend on a runtime.
 */
export type RuntimeResult<T> = { ok: true; value: T } | { ok: false; error: ParapipeError<{ code: string }> };

/** The facts about a block the chain machinery needs (from its header). */
export interface BlockInfo {
  /** blake2-256 of the SCALE header. */
  hash: Uint8Array;
  number: number;
  parentHash: Uint8Array;
  stateRoot: Uint8Array;
}

/** A block by hash and number (what the best and finalized pointers hold). */
export interface BlockRef {
  hash: Uint8Array;
  number: number;
}

/** What executing a block produced. */
export interface ExecutedBlockInfo {
  /** The SCALE header (as in the block). */
  header: Uint8Array;
  hash: Uint8Array;
  stateRoot: Uint8Array;
  /** Trie nodes of the new state (hex hash → encoded node), to persist with the block. */
  newNodes: ReadonlyMap<string, Uint8Array>;
  /** Runtime events, opaque to the node (RPC and informant may read them). */
  events?: readonly unknown[];
}

/** `TaggedTransactionQueue_validate_transaction`'s answer (sp_runtime `ValidTransaction`). */
export interface ValidTransaction {
  /** Higher is included first and evicts lower when the pool is full. */
  priority: bigint;
  /** Tags that other transactions (or the chain) must provide first, e.g. `(sender, nonce - 1)`. */
  requires: Uint8Array[];
  /** Tags this transaction provides, e.g. `(sender, nonce)`. */
  provides: Uint8Array[];
  /** Blocks for which the validity holds. */
  longevity: bigint;
  /** Whether the transaction may be gossiped. */
  propagate: boolean;
}

/**
 * What the node needs from a runtime, implemented by thin adapters over the relay and the parachain runtimes.
 * Every call is synchronous and pure over the `NodeStore` it is given; a call that reads a trie node the
 * store lacks throws `MissingNodeError` (the node's `StateStore.withState` loads the node and calls again).
 * Failures of the block or transaction are values (`RuntimeResult`), never exceptions.
 */
export interface ChainRuntime {
  /** The genesis storage entries (key, value). */
  genesisStorage(): [Uint8Array, Uint8Array][];
  /** Decodes a SCALE header; throws `BlockDecodeError` (`UNDECODABLE_HEADER`) on bytes that are not one. */
  decodeHeader(bytes: Uint8Array): BlockInfo;
  /** The header bytes of an encoded block; throws `BlockDecodeError` (`UNDECODABLE_BLOCK`) on garbage. */
  blockHeader(block: Uint8Array): Uint8Array;
  /**
   * The extrinsics of an encoded block, each in the form a transaction is submitted in (what the pool holds),
   * so included transactions can be recognised. Throws `BlockDecodeError` on garbage.
   */
  blockExtrinsics(block: Uint8Array): Uint8Array[];
  /** Imports (re-executes and checks) `block` on the state of its parent, whose SCALE header is `parentHeader`. */
  executeBlock(store: NodeStore, block: Uint8Array, parentHeader: Uint8Array): RuntimeResult<ExecutedBlockInfo>;
  /** Validates a transaction as if included in the block after `best`. */
  validateTransaction(
    store: NodeStore,
    best: { hash: Uint8Array; number: number; stateRoot: Uint8Array },
    tx: Uint8Array,
  ): RuntimeResult<ValidTransaction>;
}

/** Where an imported block came from. */
export type BlockOrigin = "own" | "network" | "sync";

/** A pino-compatible logger: structured fields first, message second; `child` per module. */
export interface Logger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Stops a subscription. */
export type Unsubscribe = () => void;

/** A block was imported (stored with its state). */
export interface ImportedEvent {
  block: BlockInfo;
  origin: BlockOrigin;
  /** Whether it became the best block. */
  isNewBest: boolean;
  /** The runtime events of its execution, opaque to the node (`ExecutedBlockInfo.events`), when it reported them. */
  events?: readonly unknown[];
}

/** The best block changed. `retracted` and `enacted` are the blocks that left and joined the best chain. */
export interface NewBestEvent {
  hash: Uint8Array;
  number: number;
  best: BlockInfo;
  /** Blocks that left the best chain, from the old best down (empty unless this is a reorg). */
  retracted: BlockInfo[];
  /** Blocks that joined the best chain, in ascending order, the new best last. */
  enacted: BlockInfo[];
}

/** The finalized block moved forward. */
export interface FinalizedEvent {
  hash: Uint8Array;
  number: number;
  /** Blocks finalized by this step, ascending, the new finalized block last. */
  finalized: BlockInfo[];
  /** Hashes of the fork blocks deleted because they do not descend from the new finalized block. */
  pruned: Uint8Array[];
}

/** The chain events the transaction pool, RPC and informant follow. */
export interface ChainEvents {
  onImported(listener: (e: ImportedEvent) => void | Promise<void>): Unsubscribe;
  onNewBest(listener: (e: NewBestEvent) => void | Promise<void>): Unsubscribe;
  onFinalized(listener: (e: FinalizedEvent) => void | Promise<void>): Unsubscribe;
}
