import { ParapipeError } from "@parapipe/primitives";

/**
 * The three kinds of runtime failure, as FRAME has them:
 * - `DispatchError`: a call failed; its state changes are rolled back, the fee stays, `ExtrinsicFailed` is
 *   emitted. A value in the block, never a crash.
 * - `TransactionValidityError`: an extrinsic cannot be included at all (bad proof, stale nonce, no funds for
 *   the fee ...). The pool and the block builder drop it; inside an imported block it makes the block invalid.
 * - `BlockExecutionError`: the block itself is invalid (upstream this is a runtime panic).
 */

/** Substrate `TokenError` reasons (current sp_runtime order). */
export type TokenErrorReason =
  | "FundsUnavailable"
  | "OnlyProvider"
  | "BelowMinimum"
  | "CannotCreate"
  | "UnknownAsset"
  | "Frozen"
  | "Unsupported"
  | "CannotCreateHold"
  | "NotExpendable"
  | "Blocked";

/** Substrate `sp_runtime::DispatchError`, as a plain value. */
export type DispatchErrorValue =
  | { kind: "Other"; message?: string }
  | { kind: "CannotLookup" }
  | { kind: "BadOrigin" }
  | { kind: "Module"; index: number; error: number; pallet: string; name: string }
  | { kind: "ConsumerRemaining" }
  | { kind: "NoProviders" }
  | { kind: "TooManyConsumers" }
  | { kind: "Token"; reason: TokenErrorReason }
  | { kind: "Arithmetic"; reason: "Underflow" | "Overflow" | "DivisionByZero" }
  | { kind: "Exhausted" }
  | { kind: "Corruption" }
  | { kind: "Unavailable" };

/** Thrown inside a call's dispatch; the executive catches it and records `ExtrinsicFailed`. */
export class DispatchError extends ParapipeError<{ code: "DISPATCH_ERROR"; error: DispatchErrorValue }> {
  constructor(error: DispatchErrorValue) {
    super({ code: "DISPATCH_ERROR", error }, describeDispatchError(error));
  }
}

/** `pallet.Name` for module errors, the kind otherwise. */
export function describeDispatchError(e: DispatchErrorValue): string {
  switch (e.kind) {
    case "Module":
      return `${e.pallet}.${e.name}`;
    case "Token":
    case "Arithmetic":
      return `${e.kind}.${e.reason}`;
    case "Other":
      return e.message ? `Other: ${e.message}` : "Other";
    default:
      return e.kind;
  }
}

/** The SCALE input for the registry's `DispatchError` type. */
export function dispatchErrorToCodecInput(e: DispatchErrorValue): unknown {
  switch (e.kind) {
    case "Module":
      return { Module: { index: e.index, error: [e.error, 0, 0, 0] } };
    case "Token":
      return { Token: e.reason };
    case "Arithmetic":
      return { Arithmetic: e.reason };
    default:
      return e.kind;
  }
}

/** `InvalidTransaction` reasons (sp_runtime::transaction_validity). */
export type InvalidTransactionReason =
  | "Call"
  | "Payment"
  | "Future"
  | "Stale"
  | "BadProof"
  | "AncientBirthBlock"
  | "ExhaustsResources"
  | "Custom"
  | "BadMandatory"
  | "MandatoryValidation"
  | "BadSigner";

/** `TransactionValidityError` plus `Undecodable` for bytes that are not an extrinsic at all. */
export type TransactionValidityErrorValue =
  | { kind: "Invalid"; reason: InvalidTransactionReason; custom?: number; detail?: string }
  | { kind: "Unknown"; reason: "CannotLookup" | "NoUnsignedValidator" | "Custom"; custom?: number; detail?: string }
  | { kind: "Undecodable"; detail: string };

/** An extrinsic that cannot be included, with the reason a caller can show (RPC answers 1010 with it). */
export class TransactionValidityError extends ParapipeError<{
  code: "TRANSACTION_INVALID";
  error: TransactionValidityErrorValue;
}> {
  constructor(error: TransactionValidityErrorValue) {
    super({ code: "TRANSACTION_INVALID", error }, describeValidityError(error));
  }
}

/** Human text in Substrate's wording ("Transaction has a bad signature" ...). */
export function describeValidityError(e: TransactionValidityErrorValue): string {
  if (e.kind === "Undecodable") return `Could not decode extrinsic: ${e.detail}`;
  const base = e.kind === "Invalid" ? INVALID_TEXT[e.reason] : UNKNOWN_TEXT[e.reason];
  return e.detail ? `${base}: ${e.detail}` : base;
}

/** `sp_runtime::transaction_validity::InvalidTransaction` variants, by their SCALE index (current polkadot-sdk). */
export const INVALID_TRANSACTION_VARIANTS = [
  "Call",
  "Payment",
  "Future",
  "Stale",
  "BadProof",
  "AncientBirthBlock",
  "ExhaustsResources",
  "Custom",
  "BadMandatory",
  "MandatoryValidation",
  "BadSigner",
  "IndeterminateImplicit",
  "UnknownOrigin",
] as const;

/** `sp_runtime::transaction_validity::UnknownTransaction` variants, by their SCALE index. */
export const UNKNOWN_TRANSACTION_VARIANTS = ["CannotLookup", "NoUnsignedValidator", "Custom"] as const;

// `impl From<InvalidTransaction> for &'static str` (sp_runtime transaction_validity.rs).
/** Substrate's text of each `InvalidTransaction` variant. */
export const INVALID_TEXT: Record<(typeof INVALID_TRANSACTION_VARIANTS)[number], string> = {
  Call: "Transaction call is not expected",
  Payment: "Inability to pay some fees (e.g. account balance too low)",
  Future: "Transaction will be valid in the future",
  Stale: "Transaction is outdated",
  BadProof: "Transaction has a bad signature",
  AncientBirthBlock: "Transaction has an ancient birth block",
  ExhaustsResources: "Transaction would exhaust the block limits",
  Custom: "InvalidTransaction custom error",
  BadMandatory: "A call was labelled as mandatory, but resulted in an Error.",
  MandatoryValidation: "Transaction dispatch is mandatory; transactions must not be validated.",
  BadSigner: "Invalid signing address",
  IndeterminateImplicit: "The implicit data was unable to be calculated",
  UnknownOrigin: "The transaction extension did not authorize any origin",
};

// `impl From<UnknownTransaction> for &'static str`.
/** Substrate's text of each `UnknownTransaction` variant. */
export const UNKNOWN_TEXT: Record<(typeof UNKNOWN_TRANSACTION_VARIANTS)[number], string> = {
  CannotLookup: "Could not lookup information required to validate the transaction",
  NoUnsignedValidator: "Could not find an unsigned validator for the unsigned transaction",
  Custom: "UnknownTransaction custom error",
};

/** Why a block is invalid. Each code is a distinct failure a validator or importer can report. */
export type BlockExecutionErrorType =
  | { code: "UNDECODABLE_BLOCK"; detail: string }
  | { code: "PARENT_HEAD_MISMATCH"; expected: string; found: string }
  | { code: "BAD_BLOCK_NUMBER"; expected: number; found: number }
  | { code: "WITNESS_INCOMPLETE"; missingNode: string }
  | { code: "WITNESS_UNREFERENCED_NODE"; node: string }
  | { code: "WITNESS_CORRUPT"; detail: string }
  | { code: "BAD_SEAL"; detail: string }
  | { code: "INVALID_EXTRINSIC"; index: number; error: TransactionValidityErrorValue }
  | { code: "INHERENT_FAILED"; index: number; detail: string }
  | { code: "MISSING_INHERENT"; inherent: string }
  | { code: "BLOCK_OVERWEIGHT"; index: number; detail: string }
  | { code: "STATE_ROOT_MISMATCH"; expected: string; computed: string }
  | { code: "EXTRINSICS_ROOT_MISMATCH"; expected: string; computed: string }
  | { code: "VALIDATION_DATA_MISMATCH"; detail: string }
  | { code: "RELAY_STATE_PROOF_INVALID"; detail: string }
  | { code: "UNINCLUDED_SEGMENT_FULL"; detail: string }
  | { code: "CONSENSUS_HOOK"; detail: string }
  | { code: "RUNTIME_PANIC"; detail: string };

/**
 * A block is invalid. Inside the runtime this is what upstream does with `panic!`/`assert!`; the message
 * keeps the upstream wording where there is one.
 */
export class BlockExecutionError extends ParapipeError<BlockExecutionErrorType> {}

/** Raises `BlockExecutionError` the way FRAME code `assert!`s. */
export function ensure(cond: boolean, type: BlockExecutionErrorType, message: string): asserts cond {
  if (!cond) throw new BlockExecutionError(type, message);
}
