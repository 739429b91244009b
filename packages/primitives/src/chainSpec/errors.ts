import { ParapipeError } from "../errors.js";

/** Structured fields of a {@link ChainSpecError}. */
export type ChainSpecErrorType = {
  code: "INVALID_CHAIN_SPEC";
  /** Full path of the offending field, e.g. `genesis.runtimeGenesis.patch.balances.balances[1][1]`; `""` for the document itself. */
  path: string;
  /** What was expected and what was found, one line. */
  reason: string;
};

/**
 * The one error a chain spec can fail with: names the field by its full path and says what was expected and
 * what was found, in a single line (`chain spec: <path>: <reason>`), so a CLI can print it as is.
 */
export class ChainSpecError extends ParapipeError<ChainSpecErrorType> {
  /** Full path of the offending field (`""` when the document as a whole is wrong, e.g. not JSON). */
  readonly path: string;
  /** What was expected and what was found. */
  readonly reason: string;

  constructor(path: string, reason: string) {
    const oneLine = reason.replace(/\s*[\r\n]+\s*/g, " ");
    super(
      { code: "INVALID_CHAIN_SPEC", path, reason: oneLine },
      path === "" ? `chain spec: ${oneLine}` : `chain spec: ${path}: ${oneLine}`,
    );
    this.path = path;
    this.reason = oneLine;
  }
}
