/**
 * @parapipe/collator: the parachain collator and para full node. The embedded relay node
 * (`RelayFollower`), the para chain with a fork choice and finality that follow the relay chain, the
 * lookahead collator with its unincluded segment in LevelDB, and the collator side of the collation protocol.
 */
export { paraChainRuntime } from "./adapter.js";
export {
  BYZANTINE_COLLATION_KINDS,
  type ByzantineCollationKind,
  type ByzantineCollatorOptions,
  type CorruptedCollation,
  corruptCollation,
} from "./byzantine.js";
export { CollatorError, type CollatorErrorType, SegmentError, type SegmentErrorType } from "./errors.js";
export {
  type ByzantineCollationRecord,
  type CollatorModules,
  CollatorNode,
  type CollatorOptions,
  type CollatorStats,
} from "./node.js";
export { ParaForkChoice, type RelayParaView } from "./paraForkChoice.js";
export {
  type BuildDecision,
  DEFAULT_MAX_PARENT_DEPTH,
  type ParentChoice,
  type ParentSearchInput,
  type SelectableBlock,
  selectParent,
  shouldBuild,
} from "./parentSelection.js";
export { RelayFollower, type RelayFollowerOptions } from "./relayFollower.js";
export {
  type DroppedEntry,
  decodeEntry,
  encodeEntry,
  type PruneResult,
  SEGMENT_STATUSES,
  type SegmentEntry,
  type SegmentStatus,
  type StaleCriteria,
  type StatusFields,
  UnincludedSegmentStore,
} from "./segment.js";
