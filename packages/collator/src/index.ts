/**
 * @parapipe/collator: the parachain collator. So far its persistent unincluded segment and the lookahead
 * parent choice; the networked node is still to come (see README).
 */
export { SegmentError, type SegmentErrorType } from "./errors.js";
export {
  type BuildDecision,
  DEFAULT_MAX_PARENT_DEPTH,
  type ParentChoice,
  type ParentSearchInput,
  type SelectableBlock,
  selectParent,
  shouldBuild,
} from "./parentSelection.js";
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
