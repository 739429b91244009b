import { ParapipeError } from "@parapipe/primitives";

/** Why the harness could not do what a test asked. */
export type HarnessErrorType =
  /** A wait-for helper's condition did not hold in time; `lastObserved` is what the last poll saw. */
  | { code: "WAIT_TIMEOUT"; what: string; timeoutMs: number; lastObserved: string }
  /** A node did not come up (exited, refused its options, or was not serving RPC in time). */
  | { code: "NODE_START_FAILED"; node: string; reason: string }
  /** A node handle was used in a way its state does not allow (e.g. RPC on a stopped node). */
  | { code: "NODE_NOT_RUNNING"; node: string; action: string }
  /** `startNetwork` options that cannot describe a network. */
  | { code: "BAD_OPTIONS"; option: string; reason: string }
  /** The JSON-RPC endpoint could not be reached or answered something that is not JSON-RPC. */
  | { code: "RPC_TRANSPORT"; url: string; method: string; reason: string }
  /**
   * Links cannot be cut in this network: in-process without `faults`, process mode without `isolation: "netns"`,
   * or no namespaces on this machine (`reason` says which).
   */
  | { code: "ISOLATION_UNAVAILABLE"; node: string; reason: string }
  /** A namespace or nftables command (`ip ...`, `nft ...`) failed; `reason` is its stderr. */
  | { code: "NETNS_FAILED"; command: string; reason: string };

/** A harness failure with a stable code and the fields that explain it. */
export class HarnessError extends ParapipeError<HarnessErrorType> {}

/**
 * A JSON-RPC error response to `call` or `subscribe`, as the node sent it: `code` (`-32601` method not found,
 * `1010` invalid transaction, ...), `message` and `data`; `method` names the call. The codes are jsonrpsee's and
 * Substrate's, so this is the one error class of the harness whose `code` is a number.
 */
export class RpcCallError extends Error {
  constructor(
    /** The method called. */
    readonly method: string,
    /** The JSON-RPC error code. */
    readonly code: number,
    /** The JSON-RPC error message. */
    message: string,
    /** The JSON-RPC error data, if the node sent any. */
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "RpcCallError";
  }
}
