/**
 * @parapipe/harness: start a relay chain and its parachain for a test (validators, collators, para full nodes;
 * in this process or as `parapipe` processes), reach each node through a typed handle (RPC, metrics, logs,
 * stop/kill/restart), wait on chain conditions with timeouts that say what was last observed, and tear down
 * every process, port and temp dir, also when the test fails.
 */
export {
  bestBlock,
  type ChainEvent,
  EventReader,
  finalizedBlock,
  includedParaHead,
  parasHeadsKey,
} from "./chainReads.js";
export { CliProcess, freeDevnetPorts, PARAPIPE, runCli, startCli } from "./cliProcess.js";
export { HarnessError, type HarnessErrorType, RpcCallError } from "./errors.js";
export {
  advertisementShape,
  bitfieldShape,
  blockShape,
  type ChainSamples,
  declinedAdvertisement,
  ERROR_RESPONSE_CODES,
  FloodError,
  type FloodErrorType,
  FloodPeer,
  type FloodPeerOptions,
  type FloodProtocol,
  type FloodReport,
  type FloodTopic,
  finalityVoteShape,
  GossipObserver,
  type GossipObserverOptions,
  type GossipTally,
  PARA_TOPIC_LIMITS,
  paraFloodProtocols,
  paraFloodTopics,
  RELAY_PROTOCOL_LIMITS,
  RELAY_TOPIC_LIMITS,
  type RequestTally,
  relayFloodProtocols,
  relayFloodTopics,
  signedTxShape,
  statementShape,
} from "./floodPeer.js";
export type {
  EventWaitOptions,
  NodeExit,
  NodeHandle,
  NodeKind,
  NodePorts,
  ObservedBlock,
  ParaNodeHandle,
  StartNetworkOptions,
  TestNetwork,
  ValidatorHandle,
  WaitFor,
  WaitForOptions,
} from "./interface.js";
export {
  type BurstOptions,
  type BurstResult,
  type ChainInclusion,
  chainNonce,
  chainNonces,
  endowAccounts,
  fundAccounts,
  INVALID_KINDS,
  invalidMix,
  LOAD_SINK,
  type LoadBlock,
  type LoadChain,
  LoadError,
  type LoadErrorType,
  type LoadOutcome,
  type LoadPlan,
  type LoadPlanOptions,
  type LoadRpc,
  type LoadRpcError,
  type LoadTx,
  type LoadTxKind,
  loadChainOf,
  loadChainOfSpec,
  loadKeypair,
  loadKeypairs,
  POOL_FULL_CODE,
  planLoad,
  readInclusion,
  runLoadCli,
  submitBurst,
  summarizeOutcomes,
  waitNonces,
  warmUp,
} from "./load.js";
export { LogBuffer, tailFile } from "./logBuffer.js";
export { holdMachine } from "./machineLock.js";
export {
  DEFAULT_MALFORMATION_WEIGHTS,
  type GeneratedMessage,
  MALFORMATIONS,
  type Malformation,
  MalformedGenerator,
  type MessageKind,
  SeededRandom,
  type ShapeMaker,
  type ValidShape,
} from "./malformed.js";
export {
  droppedPacketsOf,
  type LinkState,
  linkKey,
  type NetnsAvailability,
  type NetnsNames,
  NetnsNetwork,
  type NetnsNode,
  type NetnsSlot,
  netnsAvailable,
  netnsNames,
  netnsSlot,
  nftStateScript,
  nftTableScript,
} from "./netns.js";
export { DEV_NAMES, startNetwork } from "./network.js";
export { NodeProcess } from "./nodeProcess.js";
export { Child as TrackedChild } from "./nodes.js";
export { freePort, portFree } from "./ports.js";
export { ProcessRegistry, type TrackedProcess } from "./registry.js";
export { RpcClient, type RpcSubscription, type SubscribeOptions } from "./rpcClient.js";
export {
  fuzzRpc,
  JSON_RPC_CODES,
  RPC_FUZZ_CLASSES,
  type RpcFuzzClass,
  type RpcFuzzOptions,
  type RpcFuzzReport,
  type RpcFuzzTally,
  type RpcMethodSpec,
  type RpcParamKind,
  SUBSTRATE_RPC_SPECS,
} from "./rpcFuzz.js";
export { type Observation, type WaitOptions, waitUntil } from "./wait.js";
