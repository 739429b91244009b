import { ParapipeError } from "@parapipe/primitives";

/** Why an unincluded-segment operation failed, with the fields an operator needs to act on it. */
export type SegmentErrorType =
  /**
   * A second, different block for a para block number already held in the segment: authoring it would be
   * equivocation ("never author two different blocks for one slot"). Nothing was written.
   */
  | { code: "EQUIVOCATION"; number: number; existing: Uint8Array; attempted: Uint8Array }
  /** `setStatus` (or another lookup that must succeed) named a block the segment does not hold. */
  | { code: "UNKNOWN_BLOCK"; hash: Uint8Array }
  /** An entry handed to `add` is malformed (wrong hash length, hash not blake2-256 of the header ...). */
  | { code: "INVALID_ENTRY"; hash: Uint8Array; reason: string }
  /** A stored entry could not be decoded; `key` is its database key (the block hash) in hex. */
  | { code: "CORRUPT_ENTRY"; key: string; reason: string };

/** Every failure of the collator's unincluded segment store. `message` is one line. */
export class SegmentError extends ParapipeError<SegmentErrorType> {}

/** Why a collator or para full node cannot start or go on. */
export type CollatorErrorType =
  /** The relay chain does not have the para registered at genesis. */
  | { code: "PARA_NOT_REGISTERED"; paraId: number; relayChain: string }
  /** The relay chain registered another genesis head for the para id than this para spec produces. */
  | { code: "GENESIS_MISMATCH"; paraId: number; registered: string; local: string };

/** A collator failure with the fields an operator needs. `message` is one line. */
export class CollatorError extends ParapipeError<CollatorErrorType> {}
