import { ParapipeError } from "@parapipe/primitives";

/** Why a command could not run. Each is printed as one line (`Error: ...`) and exits non-zero. */
export type CliErrorType =
  /** A flag, value or argument the command does not take (exit code 2, as clap's usage errors). */
  | { code: "BAD_ARGUMENTS"; command: string }
  /** `--chain` names no built-in spec and no readable file, or the file is not a valid chain spec. */
  | { code: "BAD_CHAIN_SPEC"; chain: string }
  /** The base path cannot be created or written. */
  | { code: "BASE_PATH"; path: string }
  /** A port the node needs is taken. */
  | { code: "PORT_IN_USE"; port: number; what: string }
  /** A key given on the command line or in the keystore is unusable, or none was found for an authority. */
  | { code: "KEY"; reason: string }
  /** The node refused to start (database of another chain, para not registered, ...). */
  | { code: "NODE_START"; reason: string }
  /** `parapipe bench` outside a built clone of the repository (the suite is not part of the node). */
  | { code: "BENCH_UNAVAILABLE"; path: string };

/** A command-line error with a one-line message. */
export class CliError extends ParapipeError<CliErrorType> {
  /** The process exit code: 2 for usage errors, 1 otherwise. */
  get exitCode(): number {
    return this.code === "BAD_ARGUMENTS" ? 2 : 1;
  }
}

/** A usage error of `command`. */
export function badArguments(command: string, message: string): CliError {
  return new CliError({ code: "BAD_ARGUMENTS", command }, `${message} (see \`parapipe ${command} --help\`)`);
}
