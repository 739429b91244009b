import type { GossipVerdict } from "./interface.js";

/** What happened to an inbound request (server side). */
export type ReqRespInboundOutcome =
  | "ok"
  | "handler_error"
  | "rate_limited"
  | "request_too_large"
  | "invalid_request"
  | "response_too_large"
  | "timeout"
  | "stream_error";

/** What happened to an outbound request (client side): `ok` or a `ReqRespError` code in lower case. */
export type ReqRespOutboundOutcome =
  | "ok"
  | "timeout"
  | "request_too_large"
  | "response_too_large"
  | "rate_limited"
  | "remote_error"
  | "invalid_request"
  | "dial_failed"
  | "unknown_protocol"
  | "malformed_response"
  | "stream_failed";

/**
 * The metrics the network package reports to. The node implements it with prom-client (for example
 * `parapipe_gossip_messages_total{topic, verdict}`); every method is optional and the package works without it.
 */
export interface NetworkMetrics {
  /** One inbound gossip message got `verdict` on `topic`; `code` is the validation error code, if any. */
  gossipVerdict?(topic: string, verdict: GossipVerdict, code?: string): void;
  /** A gossip `handle` function threw after the message was accepted. */
  gossipHandlerError?(topic: string): void;
  /** One inbound request on `protocol` (full protocol id) ended with `outcome`. */
  reqresp?(protocol: string, outcome: ReqRespInboundOutcome): void;
  /** One outbound request on `protocol` ended with `outcome`. */
  reqrespOutbound?(protocol: string, outcome: ReqRespOutboundOutcome): void;
  /** The number of connected peers changed to `count`. */
  peers?(count: number): void;
}
