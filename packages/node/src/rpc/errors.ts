/**
 * Errors of the JSON-RPC server: `RpcServerError` for the server's own failures (binding, registration), and
 * `RpcError`, the error object a call answers with on the wire.
 */
import { ParapipeError } from "@parapipe/primitives";

/**
 * JSON-RPC error codes the server answers with: the JSON-RPC 2.0 codes, and jsonrpsee's server codes (the
 * library Substrate's RPC runs on, `jsonrpsee-types` `error.rs`), so clients such as polkadot.js see the
 * numbers they see from a Substrate node. Method-specific codes (author 1010 invalid transaction, 1011 unknown
 * transaction …) belong to the methods that raise them.
 */
export const RPC_ERROR_CODES = {
  /** The text is not JSON. */
  PARSE_ERROR: -32700,
  /** The JSON is not a JSON-RPC 2.0 request object. */
  INVALID_REQUEST: -32600,
  /** No such method, or (as Substrate answers) an unsafe method called while unsafe methods are denied. */
  METHOD_NOT_FOUND: -32601,
  /** The method refused its parameters. */
  INVALID_PARAMS: -32602,
  /** The method failed unexpectedly. */
  INTERNAL_ERROR: -32603,
  /** jsonrpsee's generic "call failed" code, for methods that fail without a specific code. */
  CALL_EXECUTION_FAILED: -32000,
  /** The connection holds `maxSubscriptionsPerConnection` subscriptions already. */
  TOO_MANY_SUBSCRIPTIONS: -32006,
  /** The request is larger than `maxRequestBytes`. */
  OVERSIZED_REQUEST: -32007,
  /** The response is larger than `maxResponseBytes`. */
  OVERSIZED_RESPONSE: -32008,
  /** The batch's responses together are larger than `maxResponseBytes`. */
  TOO_BIG_BATCH_RESPONSE: -32011,
} as const;

/**
 * A JSON-RPC error answer: `code`, `message` and optional `data`, serialised as the response's `error`
 * object. Methods throw it to answer with a specific error; anything else they throw is answered with
 * -32603 "Internal error". Its `code` is the numeric wire code, not a parapipe error code: the error exists to
 * cross the wire.
 */
export class RpcError extends Error {
  /** The JSON-RPC error code (see `RPC_ERROR_CODES`, or a method's own, e.g. 1010). */
  readonly code: number;
  /** Extra detail for the client (any JSON value); omitted from the answer when undefined. */
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
  }

  /**
   * The method refused its parameters. Shaped as jsonrpsee answers: message "Invalid params", the reason in
   * `data` (polkadot.js shows `-32602: Invalid params: <reason>`).
   */
  static invalidParams(reason?: string): RpcError {
    return new RpcError(RPC_ERROR_CODES.INVALID_PARAMS, "Invalid params", reason);
  }

  /** The method does not exist. */
  static methodNotFound(): RpcError {
    return new RpcError(RPC_ERROR_CODES.METHOD_NOT_FOUND, "Method not found");
  }

  /** The method failed unexpectedly; `detail` (no stack trace) goes into `data`. */
  static internal(detail?: string): RpcError {
    return new RpcError(RPC_ERROR_CODES.INTERNAL_ERROR, "Internal error", detail);
  }

  /** The method failed with no more specific code (jsonrpsee's -32000). */
  static callFailed(message: string, data?: unknown): RpcError {
    return new RpcError(RPC_ERROR_CODES.CALL_EXECUTION_FAILED, message, data);
  }

  /** The JSON-RPC `error` object. */
  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** Why the RPC server failed to start or refused a registration. */
export type RpcServerErrorType =
  /** Another process listens on the address already. */
  | { code: "PORT_IN_USE"; host: string; port: number }
  /** Binding failed for another reason (no such interface, permission denied …). */
  | { code: "LISTEN_FAILED"; host: string; port: number; reason: string }
  /** `listen()` after `close()`: a closed server does not start again. */
  | { code: "SERVER_CLOSED" }
  /** `address()` before `listen()` resolved. */
  | { code: "NOT_LISTENING" }
  /** A method, alias or subscription name is registered already. */
  | { code: "DUPLICATE_METHOD"; method: string }
  /** A method name that is not a non-empty string. */
  | { code: "INVALID_METHOD_NAME"; method: string };

/** A failure of the RPC server itself (not of a call). */
export class RpcServerError extends ParapipeError<RpcServerErrorType> {}
