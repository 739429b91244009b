import { ParapipeError } from "@parapipe/primitives";
import type { GossipAction } from "./interface.js";

/** Why a node key could not be parsed, read or created. */
export type NodeKeyErrorType =
  /** `--node-key` (or a key file's text) is not a 32-byte Ed25519 secret as 64 hex digits. */
  | { code: "INVALID_NODE_KEY"; reason: string }
  /** The key file exists but holds neither 32 raw bytes nor 64 hex digits; it is never replaced. */
  | { code: "CORRUPT_KEY_FILE"; path: string; size: number; reason: string }
  /** The key file could not be read or written (permissions, a directory in the way...). */
  | { code: "KEY_FILE_IO"; path: string; reason: string };

/** A node key problem: bad `--node-key`, corrupt or unreadable key file. */
export class NodeKeyError extends ParapipeError<NodeKeyErrorType> {}

/** Why the network could not be created, started or used. */
export type NetworkErrorType =
  /** An option is out of range or malformed (`maxGossipBytes`, the genesis hash...). */
  | { code: "INVALID_OPTION"; option: string; reason: string }
  /** A listen address or a bootnode is not a usable multiaddr. */
  | { code: "INVALID_MULTIADDR"; addr: string; reason: string }
  /** libp2p failed to start, typically because a listen address is taken. */
  | { code: "START_FAILED"; reason: string }
  /** The operation needs a started network. */
  | { code: "NOT_STARTED"; operation: string }
  /** `start()` after `stop()`: a stopped network is not restarted, create a new one. */
  | { code: "STOPPED"; operation: string }
  /** A topic name argument is malformed. */
  | { code: "INVALID_TOPIC"; topic: string; reason: string }
  /** `subscribe` for a topic this node already handles. */
  | { code: "ALREADY_SUBSCRIBED"; topic: string }
  /** `register` for a request/response protocol that already has a handler. */
  | { code: "ALREADY_REGISTERED"; protocol: string }
  /** `dial` could not connect to the address. */
  | { code: "DIAL_FAILED"; addr: string; reason: string }
  /** The installed gossipsub lacks an API this package relies on (peer score, mesh peers). */
  | { code: "INCOMPATIBLE_GOSSIPSUB"; missing: string }
  /** A connection or stream closed by fault injection (`network.faults.isolate`), never in production. */
  | { code: "LINK_CUT"; peer: string };

/** A configuration or lifecycle error of the network package. */
export class NetworkError extends ParapipeError<NetworkErrorType> {}

/**
 * Thrown by a gossip `validate` function. `action` is the verdict the message gets: `REJECT` for messages
 * that are invalid whoever sends them (the sender's score drops), `IGNORE` for messages that are merely not
 * useful now (duplicates, unknown parent, too old: no penalty). Neither is delivered nor forwarded.
 */
export class GossipValidationError<
  T extends { code: string } = { code: string; [field: string]: unknown },
> extends ParapipeError<T> {
  /** The gossipsub verdict this error maps to. */
  readonly action: GossipAction;

  constructor(action: GossipAction, type: T, message?: string) {
    super(type, message ?? `${action} ${type.code}`);
    this.action = action;
  }
}

/** Why a gossip publish was refused. */
export type GossipPublishErrorType =
  /** The message is larger than the topic's `maxBytes` (or the network's `maxGossipBytes`). */
  | { code: "MESSAGE_TOO_LARGE"; topic: string; size: number; maxBytes: number }
  /** The network is not started (or already stopped). */
  | { code: "NOT_STARTED"; topic: string }
  /** gossipsub refused the message. */
  | { code: "PUBLISH_FAILED"; topic: string; reason: string };

/** A gossip message that was not published. */
export class GossipPublishError extends ParapipeError<GossipPublishErrorType> {}

/** Why a request/response exchange failed, seen from the requesting side. */
export type ReqRespErrorType =
  /** No complete response within `timeoutMs` (dial, write and read included). */
  | { code: "TIMEOUT"; protocol: string; peer: string; timeoutMs: number }
  /** The request is larger than the protocol allows; `remote` tells whether the server said so. */
  | { code: "REQUEST_TOO_LARGE"; protocol: string; peer: string; size: number; maxBytes?: number; remote: boolean }
  /** The response announced more bytes than `maxResponseBytes`; it was not read. */
  | { code: "RESPONSE_TOO_LARGE"; protocol: string; peer: string; maxBytes: number }
  /** The server's per-peer rate limit for this protocol is exhausted. */
  | { code: "RATE_LIMITED"; protocol: string; peer: string }
  /** The server's handler failed; `remoteMessage` is what it said. */
  | { code: "REMOTE_ERROR"; protocol: string; peer: string; remoteMessage: string }
  /** The server could not parse the request (truncated or malformed framing). */
  | { code: "INVALID_REQUEST"; protocol: string; peer: string; remoteMessage: string }
  /** No connection to the peer could be opened. */
  | { code: "DIAL_FAILED"; protocol: string; peer: string; reason: string }
  /** The peer does not serve this protocol (wrong genesis, old version, or not registered). */
  | { code: "UNKNOWN_PROTOCOL"; protocol: string; peer: string }
  /** The response bytes do not follow the wire format (unknown status, truncated, bad length prefix). */
  | { code: "MALFORMED_RESPONSE"; protocol: string; peer: string; reason: string }
  /** The stream or connection broke before a response arrived. */
  | { code: "STREAM_FAILED"; protocol: string; peer: string; reason: string };

/** A failed request/response exchange. */
export class ReqRespError extends ParapipeError<ReqRespErrorType> {}

/** Why a length-prefixed frame could not be read. */
export type FramingErrorType =
  /** The length prefix announces more than `maxBytes`; the payload was not read. */
  | { code: "FRAME_TOO_LARGE"; maxBytes: number }
  /** The input ended inside the frame. */
  | { code: "FRAME_TRUNCATED" }
  /** The input ended before any byte was read. */
  | { code: "FRAME_EMPTY" }
  /** The unsigned-varint length prefix is longer than 8 bytes or otherwise invalid. */
  | { code: "FRAME_BAD_LENGTH" }
  /** A response's status byte is not one this version knows. */
  | { code: "FRAME_UNKNOWN_STATUS"; status: number };

/** A wire-format error of the request/response framing. */
export class FramingError extends ParapipeError<FramingErrorType> {}

/** One-line description of any thrown value, for logs and error fields. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n", 1)[0] ?? err.name;
  return String(err);
}
