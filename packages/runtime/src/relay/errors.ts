import { ParapipeError } from "@parapipe/primitives";

/**
 * Why a backed candidate is refused by the paras host. Each code names the upstream `ParaInclusion` error it
 * corresponds to (`upstream`), so logs and RPC can show the name a Polkadot engineer knows; several parapipe
 * codes share one upstream error where parapipe can say more precisely what went wrong.
 */
export type CandidateErrorType =
  | { code: "UNSCHEDULED_CANDIDATE"; paraId: number; detail: string }
  | { code: "CORE_ALREADY_BACKED"; paraId: number; core: number }
  | { code: "RELAY_PARENT_OUT_OF_SCOPE"; relayParent: string; allowed: string[] }
  | { code: "RELAY_PARENT_MOVED_BACKWARDS"; relayParentNumber: number; mostRecentContext: number }
  | { code: "PARA_OCCUPIED"; paraId: number; pending: number; maxPending: number }
  | { code: "WRONG_PARENT_HEAD"; expected: string; found: string }
  | { code: "VALIDATION_DATA_HASH_MISMATCH"; expected: string; found: string }
  | { code: "NOT_COLLATOR_SIGNED"; collator: string }
  | { code: "INVALID_VALIDATION_CODE_HASH"; expected: string; found: string }
  | { code: "PARA_HEAD_MISMATCH"; expected: string; found: string }
  | { code: "HEAD_DATA_TOO_LARGE"; size: number; max: number }
  | { code: "CODE_UPGRADE_NOT_SUPPORTED"; paraId: number }
  | { code: "INVALID_UPWARD_MESSAGES"; count: number }
  | { code: "INVALID_OUTBOUND_HRMP"; count: number }
  | { code: "INCORRECT_DOWNWARD_MESSAGE_HANDLING"; processed: number }
  | { code: "HRMP_WATERMARK_MISHANDLING"; watermark: number; relayParentNumber: number }
  | { code: "INVALID_BACKING"; detail: string }
  | { code: "VALIDATOR_NOT_IN_GROUP"; validatorIndex: number; group: number; members: number[] }
  | { code: "INSUFFICIENT_BACKING"; votes: number; required: number };

/** The `ParaInclusion` error (pallet error name) each candidate error code maps to. */
export const UPSTREAM_ERROR: Record<CandidateErrorType["code"], InclusionErrorName> = {
  UNSCHEDULED_CANDIDATE: "UnscheduledCandidate",
  CORE_ALREADY_BACKED: "UnscheduledCandidate",
  RELAY_PARENT_OUT_OF_SCOPE: "DisallowedRelayParent",
  RELAY_PARENT_MOVED_BACKWARDS: "DisallowedRelayParent",
  PARA_OCCUPIED: "CandidateScheduledBeforeParaFree",
  WRONG_PARENT_HEAD: "ValidationDataHashMismatch",
  VALIDATION_DATA_HASH_MISMATCH: "ValidationDataHashMismatch",
  NOT_COLLATOR_SIGNED: "NotCollatorSigned",
  INVALID_VALIDATION_CODE_HASH: "InvalidValidationCodeHash",
  PARA_HEAD_MISMATCH: "ParaHeadMismatch",
  HEAD_DATA_TOO_LARGE: "HeadDataTooLarge",
  CODE_UPGRADE_NOT_SUPPORTED: "PrematureCodeUpgrade",
  INVALID_UPWARD_MESSAGES: "InvalidUpwardMessages",
  INVALID_OUTBOUND_HRMP: "InvalidOutboundHrmp",
  INCORRECT_DOWNWARD_MESSAGE_HANDLING: "IncorrectDownwardMessageHandling",
  HRMP_WATERMARK_MISHANDLING: "HrmpWatermarkMishandling",
  INVALID_BACKING: "InvalidBacking",
  VALIDATOR_NOT_IN_GROUP: "InvalidBacking",
  INSUFFICIENT_BACKING: "InsufficientBacking",
};

/** `ParaInclusion` pallet errors, in declaration order (their indexes in metadata). */
export const INCLUSION_ERRORS = [
  "ValidatorIndexOutOfBounds",
  "UnscheduledCandidate",
  "HeadDataTooLarge",
  "PrematureCodeUpgrade",
  "NewCodeTooLarge",
  "DisallowedRelayParent",
  "InvalidAssignment",
  "InvalidGroupIndex",
  "InsufficientBacking",
  "InvalidBacking",
  "ValidationDataHashMismatch",
  "IncorrectDownwardMessageHandling",
  "InvalidUpwardMessages",
  "HrmpWatermarkMishandling",
  "InvalidOutboundHrmp",
  "InvalidValidationCodeHash",
  "ParaHeadMismatch",
  "NotCollatorSigned",
  "CandidateScheduledBeforeParaFree",
] as const;

/** A `ParaInclusion` error name. */
export type InclusionErrorName = (typeof INCLUSION_ERRORS)[number];

/** A backed candidate the paras host refuses; `code` says which rule it broke. */
export class CandidateError extends ParapipeError<CandidateErrorType> {
  /** The upstream `ParaInclusion` error name. */
  get upstream(): InclusionErrorName {
    return UPSTREAM_ERROR[this.code];
  }
}

/** Building or reading the relay runtime from a spec or from state failed. */
export class RelayRuntimeError extends ParapipeError<
  | { code: "NOT_A_RELAY_SPEC"; id: string }
  | { code: "BAD_RELAY_CODE"; detail: string }
  | { code: "BAD_RELAY_CONFIG"; detail: string }
> {}
