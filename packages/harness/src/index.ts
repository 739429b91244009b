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
export type {
  EventWaitOptions,
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
export { LogBuffer, tailFile } from "./logBuffer.js";
export { DEV_NAMES, startNetwork } from "./network.js";
export { NodeProcess } from "./nodeProcess.js";
export { freePort, portFree } from "./ports.js";
export { ProcessRegistry, type TrackedProcess } from "./registry.js";
export { RpcClient, type RpcSubscription, type SubscribeOptions } from "./rpcClient.js";
export { type Observation, type WaitOptions, waitUntil } from "./wait.js";
