/**
 * @parapipe/network: the libp2p host both node kinds share: identity, gossip topics with validation
 * verdicts and peer scoring, request/response protocols. It knows nothing about blocks or consensus;
 * validators and handlers are injected.
 */

export {
  errorMessage,
  FramingError,
  type FramingErrorType,
  GossipPublishError,
  type GossipPublishErrorType,
  GossipValidationError,
  NetworkError,
  type NetworkErrorType,
  NodeKeyError,
  type NodeKeyErrorType,
  ReqRespError,
  type ReqRespErrorType,
} from "./errors.js";
export {
  type ConnectionFaultCounts,
  type FaultDirection,
  type FaultLink,
  type GossipFaultCounts,
  type GossipFaultFilter,
  type NetworkFaultStats,
  NetworkFaults,
  type NetworkFaultsOptions,
  type RequestFault,
  type RequestFaultCounts,
  type RequestFaultFilter,
} from "./faults.js";
export { gossipMessageId, MESSAGE_ID_BYTES } from "./gossip/messageId.js";
export { INVALID_MESSAGE_WEIGHT } from "./gossip/scoring.js";
export { type GenesisHashInput, genesisPrefix, protocolId, topicName } from "./gossip/topics.js";
export {
  createTopicValidator,
  OVERSIZE_CODE,
  runGossipHandler,
  toTopicValidatorResult,
  UNEXPECTED_ERROR_CODE,
  type ValidationOutcome,
  VerdictCounters,
  validateGossipMessage,
} from "./gossip/verdict.js";
export type {
  Gossip,
  GossipAction,
  GossipScope,
  GossipSubscription,
  GossipVerdict,
  Network,
  NetworkLogger,
  RateLimit,
  ReqResp,
  ReqRespProtocol,
  RequestContext,
  RequestOptions,
  VerdictCounts,
} from "./interface.js";
export type { NetworkMetrics, ReqRespInboundOutcome, ReqRespOutboundOutcome } from "./metrics.js";
export { createNetwork, type HostServices, silentLogger } from "./network.js";
export {
  generateNodeKey,
  loadOrCreateNodeKey,
  NODE_KEY_BYTES,
  type NodeKey,
  nodeKeyFromHex,
  nodeKeyToHex,
  peerIdOf,
} from "./nodeKey.js";
export {
  type DefaultedNetworkOptions,
  defaultNetworkOptions,
  GOSSIPSUB_FRAME_LIMIT,
  MAX_GOSSIP_BYTES,
  type NetworkModules,
  type NetworkOptions,
} from "./options.js";
export {
  type ByteSource,
  decodeErrorMessage,
  encodeErrorResponse,
  encodeFrame,
  encodeResponse,
  MAX_ERROR_MESSAGE_BYTES,
  type Response,
  ResponseStatus,
  readFrame,
  readResponse,
} from "./reqresp/framing.js";
export { type Clock, PeerRateLimiter, TokenBucket } from "./reqresp/rateLimiter.js";
export { streamSource } from "./reqresp/streamSource.js";
