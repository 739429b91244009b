/**
 * The types other packages program against. The network knows nothing about blocks or consensus: gossip
 * validators, gossip handlers and request handlers are injected by the node.
 */

import type { NetworkFaults } from "./faults.js";

/** What a gossip validator can ask for besides acceptance (gossipsub's IGNORE and REJECT). */
export type GossipAction = "IGNORE" | "REJECT";

/** The outcome of validating one inbound gossip message. */
export type GossipVerdict = "ACCEPT" | GossipAction;

/** Which chain a gossip topic belongs to. */
export type GossipScope = "relay" | "para";

/** A pino-compatible logger: structured fields first, message second. */
export interface NetworkLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** One gossip topic this node takes part in. */
export interface GossipSubscription<T> {
  /** The full topic name, from `topicName(...)`. */
  topic: string;
  /** Messages larger than this are REJECTed before `validate` runs. At most the network's `maxGossipBytes`. */
  maxBytes: number;
  /**
   * Decodes and checks a message from peer `from` (a PeerId string). Returns the decoded value to accept it;
   * throws `GossipValidationError` with `REJECT` or `IGNORE` otherwise. Any other exception means IGNORE.
   * Runs before the message is forwarded, so keep it fast (gossipsub penalises slow validation past ~100 ms).
   */
  validate(bytes: Uint8Array, from: string): T | Promise<T>;
  /** Processes an accepted message. Exceptions are logged and counted, never propagated. */
  handle(value: T, from: string): void | Promise<void>;
}

/** Verdicts counted for one topic since the network was created. */
export interface VerdictCounts {
  ACCEPT: number;
  IGNORE: number;
  REJECT: number;
  /** Accepted messages whose `handle` threw. */
  handlerErrors: number;
}

/** Gossip over gossipsub with per-topic validation. */
export interface Gossip {
  /** Joins `sub.topic`, validating every inbound message with `sub.validate`. Returns an unsubscribe function. */
  subscribe<T>(sub: GossipSubscription<T>): () => void;
  /**
   * Publishes `bytes` on `topic` and resolves to the number of peers it was sent to (0 for a duplicate of a
   * message already seen). Throws `GossipPublishError` `MESSAGE_TOO_LARGE` above the topic's `maxBytes`.
   */
  publish(topic: string, bytes: Uint8Array): Promise<number>;
  /** Per-topic verdict counters (a copy). */
  verdictCounts(): Record<string, VerdictCounts>;
  /** Connected peers subscribed to `topic`. */
  topicPeers(topic: string): string[];
  /** Peers in this node's gossipsub mesh for `topic`. */
  meshPeers(topic: string): string[];
}

/** A per-peer request budget: at most `requests` per `perMs` milliseconds, with bursts up to `requests`. */
export interface RateLimit {
  requests: number;
  perMs: number;
}

/** Passed to a request handler. */
export interface RequestContext {
  /** Aborted when the protocol's `timeoutMs` elapses or the stream breaks; stop work when it fires. */
  signal: AbortSignal;
}

/** A request/response protocol this node serves. */
export interface ReqRespProtocol {
  /** Short name, e.g. `"collation"`; the protocol id is `/parapipe/<genesis8>/<name>/1`. */
  name: string;
  /** Requests above this are answered with status "too large" without calling `handle`. */
  maxRequestBytes: number;
  /** Responses above this are not sent (the requester gets an error) nor accepted when requesting. */
  maxResponseBytes: number;
  /** Server-side budget for the whole exchange, and the default client timeout. */
  timeoutMs: number;
  /** Per-peer rate limit of this protocol. */
  rateLimit: RateLimit;
  /** Produces the response to `req` from peer `from`. Exceptions become an error response. */
  handle(req: Uint8Array, from: string, ctx: RequestContext): Promise<Uint8Array>;
}

/** Options of one outbound request. */
export interface RequestOptions {
  /** Defaults to the protocol's `timeoutMs` when registered locally, else the network's default. */
  timeoutMs?: number;
  /** Defaults to the protocol's `maxResponseBytes` when registered locally, else the network's default. */
  maxResponseBytes?: number;
  /** Aborts the request early (reported as `TIMEOUT`). */
  signal?: AbortSignal;
}

/** Request/response protocols: one stream per request. */
export interface ReqResp {
  /** Serves `protocol`. Throws `NetworkError` `ALREADY_REGISTERED` for a name served already. */
  register(protocol: ReqRespProtocol): void;
  /**
   * Sends `bytes` to `peerId` on protocol `name` and resolves to the response payload. Fails with a
   * `ReqRespError` (`TIMEOUT`, `REQUEST_TOO_LARGE`, `RESPONSE_TOO_LARGE`, `RATE_LIMITED`, `REMOTE_ERROR`,
   * `INVALID_REQUEST`, `DIAL_FAILED`, `UNKNOWN_PROTOCOL`, `MALFORMED_RESPONSE`, `STREAM_FAILED`).
   */
  request(peerId: string, name: string, bytes: Uint8Array, opts?: RequestOptions): Promise<Uint8Array>;
  /** The full protocol id of `name` on this network. */
  protocolId(name: string): string;
}

/** The libp2p host of a node: identity, connections, gossip and request/response. */
export interface Network {
  /** This node's PeerId (`12D3KooW...`). */
  readonly peerId: string;
  readonly gossip: Gossip;
  readonly reqresp: ReqResp;
  /** Fault injection (tests only): set when the network was created with `faults`, undefined otherwise. */
  readonly faults?: NetworkFaults | undefined;
  /** Listens, joins the subscribed topics, serves registered protocols and dials the bootnodes. */
  start(): Promise<void>;
  /** Closes every connection and listener. Safe to call twice; a stopped network cannot be restarted. */
  stop(): Promise<void>;
  /** The addresses peers can dial, each ending in `/p2p/<peerId>` (real ports when listening on port 0). */
  listenAddrs(): string[];
  /** PeerIds of connected peers. */
  peers(): string[];
  /** This node's gossipsub score of `peerId` (0 for unknown peers); REJECTed messages lower it. */
  peerScore(peerId: string): number;
  /** Connects to a multiaddr ending in `/p2p/<peerId>` and resolves to that PeerId. */
  dial(addr: string): Promise<string>;
  /** Calls `cb` with the PeerId of each newly connected peer. Returns an unsubscribe function. */
  onPeerConnect(cb: (peerId: string) => void): () => void;
  /** Calls `cb` with the PeerId of each peer that lost its last connection. Returns an unsubscribe function. */
  onPeerDisconnect(cb: (peerId: string) => void): () => void;
}
