import { ParapipeError } from "@parapipe/primitives";

/** Bytes that should be a header or a block are not (thrown by `ChainRuntime` adapters). */
export type BlockDecodeErrorType =
  | { code: "UNDECODABLE_HEADER"; detail: string }
  | { code: "UNDECODABLE_BLOCK"; detail: string };

/** A header or block that does not decode. `detail` names what was wrong. */
export class BlockDecodeError extends ParapipeError<BlockDecodeErrorType> {}

/** Why the chain database refused to open or answer (storage-level failures are `DatabaseError`s). */
export type ChainDbErrorType =
  /** The genesis given does not hold together (header state root vs. storage, header hash vs. hash). */
  { code: "GENESIS_INVALID"; reason: string };

/** A chain database failure that is not a storage failure. */
export class ChainDbError extends ParapipeError<ChainDbErrorType> {}

/** Why a block could not be imported (beyond the runtime's own verdict). */
export type ImportErrorType =
  /** The block is at or below the finalized height and not the finalized chain: it would revert finality. */
  | { code: "BELOW_FINALIZED"; number: number; finalizedNumber: number }
  /** The runtime's executed header hash differs from the hash of the block's header. */
  | { code: "HASH_MISMATCH"; expected: string; executed: string }
  /** The importer was closed. */
  | { code: "IMPORTER_CLOSED" };

/** A block refused by the import pipeline itself, or a closed importer. */
export class ImportError extends ParapipeError<ImportErrorType> {}

/** Why a requested best or finalized block was refused. */
export type ForkChoiceErrorType =
  /** The block is not in the tree of unfinalized blocks. */
  | { code: "UNKNOWN_BLOCK"; hash: string }
  /** The block does not descend from the finalized block: finality never reverts. */
  | { code: "NOT_DESCENDANT_OF_FINALIZED"; hash: string; finalized: string };

/** A best/finalized change that would break the chain's rules. */
export class ForkChoiceError extends ParapipeError<ForkChoiceErrorType> {}

/** Why a finality vote or justification was refused. */
export type FinalityErrorType =
  /** The voter index is not in the voter set. */
  | { code: "UNKNOWN_VOTER"; voter: number; voterCount: number }
  /** The vote's signature does not verify. */
  | { code: "BAD_SIGNATURE"; voter: number; hash: string }
  /** The vote names a known block with another number. */
  | { code: "VOTE_NUMBER_MISMATCH"; voter: number; hash: string; voteNumber: number; blockNumber: number }
  /** A stored or received justification does not decode. */
  | { code: "UNDECODABLE_JUSTIFICATION"; detail: string };

/** A finality vote or justification refused (gossip: REJECT). */
export class FinalityError extends ParapipeError<FinalityErrorType> {}

/** Why the transaction pool refused a transaction. */
export type PoolErrorType =
  /** The pool is at its count or byte bound and every transaction in it has at least this priority. */
  | { code: "POOL_FULL"; count: number; bytes: number; maxCount: number; maxBytes: number; priority: bigint }
  /** The transaction is in the pool already (Substrate 1013 "Transaction Already Imported"). */
  | { code: "ALREADY_IMPORTED"; hash: string }
  /** The runtime refused it; `reason` is the runtime's typed error (e.g. a `TransactionValidityError`). */
  | { code: "INVALID_TRANSACTION"; hash: string; reason: ParapipeError<{ code: string }> }
  /** Another transaction provides the same tag (same sender and nonce) with at least this priority (1014). */
  | { code: "TOO_LOW_PRIORITY"; hash: string; existing: string; priority: bigint }
  /** The transaction alone is larger than the pool's byte bound. */
  | { code: "TOO_LARGE"; hash: string; bytes: number; maxBytes: number }
  /** The pool was closed. */
  | { code: "POOL_CLOSED" };

/** A transaction refused by the pool. */
export class PoolError extends ParapipeError<PoolErrorType> {}

/** A `--log` directive that is not a level or `target=level`. */
export class NodeLoggerError extends ParapipeError<{ code: "INVALID_LOG_DIRECTIVE"; directive: string }> {}

/** Why the Prometheus exporter could not serve. */
export type PrometheusErrorType =
  | { code: "PORT_IN_USE"; host: string; port: number }
  | { code: "LISTEN_FAILED"; host: string; port: number; reason: string };

/** The Prometheus exporter could not bind its port. */
export class PrometheusError extends ParapipeError<PrometheusErrorType> {}
