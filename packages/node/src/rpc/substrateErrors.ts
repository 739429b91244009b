/** The error codes of the Substrate methods (kept apart so the method groups need not import the entry point). */

/**
 * Method-specific JSON-RPC error codes, Substrate's (sc-rpc-api `error.rs` bases AUTHOR 1000, CHAIN 3000,
 * STATE 4000; `author/error.rs`, `chain/error.rs`, `state/error.rs`; frame `rpc/system` for the nonce).
 */
export const SUBSTRATE_RPC_ERROR_CODES = {
  /** `system_accountNextIndex`: the runtime call failed ("Unable to query nonce."). */
  NONCE_RUNTIME_ERROR: 1,
  /** Extrinsic bytes that do not decode (`author_submitAndWatchExtrinsic`). */
  AUTHOR_BAD_FORMAT: 1001,
  /** The submission failed outside the pool's verdicts. */
  AUTHOR_VERIFICATION: 1002,
  /** The runtime found the transaction invalid; `data` says why. */
  POOL_INVALID_TX: 1010,
  /** The runtime could not decide validity. */
  POOL_UNKNOWN_VALIDITY: 1011,
  /** The transaction is in the pool already. */
  POOL_ALREADY_IMPORTED: 1013,
  /** Another transaction with the same tag has at least this priority. */
  POOL_TOO_LOW_PRIORITY: 1014,
  /** The pool is full (or the transaction alone exceeds its bounds). */
  POOL_IMMEDIATELY_DROPPED: 1016,
  /** Any other author error (`submitExtrinsic` decode failures, keystore, no pool). */
  AUTHOR_OTHER: 1040,
  /** `chain_getBlockHash` of a number above u32::MAX. */
  CHAIN_OTHER: 3001,
  /** `state_queryStorage(At)` over blocks that are unknown or not one chain. */
  STATE_INVALID_BLOCK_RANGE: 4001,
  /** `state_getKeysPaged` count above 1000. */
  STATE_INVALID_COUNT: 4002,
  /** Any other state error: unknown block, failed runtime call (`Client error: …`). */
  STATE_CLIENT: 4003,
} as const;
