/**
 * @parapipe/node: what both node kinds (relay validator, collator) share, whatever runtime they run and
 * however blocks reach them: the chain database, the block import pipeline with pluggable fork choice,
 * GRANDPA-lite finality tracking and the transaction pool.
 */

export { type FrameRuntimeFunctions, frameChainRuntime } from "./adapter.js";
export type { BlockTreeView, TreeRoute } from "./chain/blockTree.js";
export {
  ChainDb,
  type ChainDbModules,
  type ChainDbOpened,
  type ChainDbOptions,
  type GenesisInput,
} from "./chain/chainDb.js";
export { type ForkChoice, type ForkChoiceContext, longestChain } from "./chain/forkChoice.js";
export {
  BlockImporter,
  type BlockImporterModules,
  type BlockImporterOptions,
  type ImportOptions,
  type ImportResult,
} from "./chain/importer.js";
export * from "./errors.js";
export {
  type FinalityConflict,
  FinalityTracker,
  type FinalityTrackerModules,
  type FinalityTrackerOptions,
  type VoteOutcome,
  type VoteVerifier,
} from "./finality/finalityTracker.js";
export {
  decodeJustification,
  encodeJustification,
  type FinalityVote,
  type Justification,
} from "./finality/justification.js";
export {
  FinalityVoteGossip,
  type FinalityVoteGossipOptions,
  finalityVotePayload,
  signFinalityVote,
} from "./finality/voteGossip.js";
export type * from "./interface.js";
export { jsonLinesLogger } from "./jsonLinesLogger.js";
export {
  createNodeLogger,
  LOG_LEVELS,
  type LogFilter,
  type LogLevel,
  memoryLogDestination,
  type NodeLoggerOptions,
  parseLogFilter,
} from "./logging.js";
export type * from "./metrics.js";
export { createNodeMetrics, type NodeMetrics, SLOT_BUCKETS, shortProtocolName } from "./nodeMetrics.js";
export {
  keyFromOption,
  NodeProcessError,
  readProcessOptions,
  runProcessNode,
  type StartedProcessNode,
} from "./process.js";
export {
  createMetricsRegistry,
  type GaugeReader,
  PrometheusServer,
  readCounter,
  readGauge,
  registerSubstrateMetrics,
  type SubstrateMetricsSource,
} from "./prometheus.js";
export { PARA_PROTOCOLS, PARA_TOPICS, RELAY_PROTOCOLS, RELAY_TOPICS } from "./protocols.js";
export { RelayChainNode, type RelayChainNodeOptions } from "./relayChainNode.js";
export type { ExtrinsicStatusJson } from "./rpc/author.js";
export type { SignedBlockJson } from "./rpc/chain.js";
export { RPC_ERROR_CODES, RpcError, RpcServerError, type RpcServerErrorType } from "./rpc/errors.js";
export {
  DEFAULT_CORS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION,
  DEFAULT_RPC_HOST,
  DEFAULT_RPC_PORT,
  isLoopbackHost,
  isOriginAllowed,
} from "./rpc/limits.js";
export {
  createRpcServer,
  type NodeHealth,
  type RpcCallContext,
  type RpcMethodHandler,
  type RpcMethodOptions,
  type RpcMethodsPolicy,
  type RpcMetrics,
  type RpcParams,
  RpcServer,
  type RpcServerModules,
  type RpcServerOptions,
  type RpcSubscriptionHandler,
  type RpcSubscriptionSpec,
  type RpcTransport,
  type SubscriptionCleanup,
  type SubscriptionSink,
} from "./rpc/server.js";
export { STORAGE_KEYS_PAGED_MAX_COUNT, type StorageChangeSetJson } from "./rpc/state.js";
export {
  type RuntimeApiBlock,
  type RuntimeCallErrorCode,
  type RuntimeRpcApi,
  registerSubstrateRpc,
  SUBSTRATE_RPC_ERROR_CODES,
  type SubstratePeerInfo,
  type SubstrateRpcBackend,
  type SubstrateRpcChain,
  type SubstrateRpcKeystore,
  type SubstrateRpcOptions,
  type SubstrateRpcPool,
  type SubstrateSystemInfo,
} from "./rpc/substrate.js";
export type { HeaderJson } from "./rpc/substrateContext.js";
export { BlockSync, type BlockSyncModules, type BlockSyncOptions, MAX_BLOCKS_PER_RESPONSE } from "./sync/blockSync.js";
export {
  TransactionGossip,
  type TransactionGossipErrorType,
  type TransactionGossipModules,
  type TransactionGossipOptions,
} from "./txPool/txGossip.js";
export {
  DEFAULT_POOL_LIMITS,
  type PoolChain,
  type PoolTransaction,
  type SubmitResult,
  TxPool,
  type TxPoolModules,
  type TxPoolOptions,
  type TxStatus,
  type TxWatcher,
} from "./txPool/txPool.js";
export { Emitter, SerialQueue, silentLogger } from "./util.js";
