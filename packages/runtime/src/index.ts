/**
 * @parapipe/runtime: a small FRAME-like framework and the Astar-like parachain runtime, with `validateBlock`
 * (the PVF). Pure and deterministic: no network, database, logger or clock.
 */

export * from "./devSpecs.js";
export * from "./frame/context.js";
export * from "./frame/errors.js";
export * from "./frame/executive.js";
export * from "./frame/metadata.js";
export type * from "./frame/metadataTypes.js";
export * from "./frame/origin.js";
export * from "./frame/pallet.js";
export * from "./frame/storage.js";
export * from "./pallets/balances.js";
export * from "./pallets/system.js";
export * from "./pallets/transactionPayment.js";
export { capacityValue, type SegmentCapacity } from "./parachain/aura.js";
export * from "./parachain/blocks.js";
export { POT_ACCOUNT, palletAccount } from "./parachain/collatorSelection.js";
export * from "./parachain/config.js";
export { COMPUTE_ITERATION_WEIGHT, MAX_COMPUTE_ITERATIONS, MAX_REMARK_LEN } from "./parachain/dev.js";
export * from "./parachain/devChain.js";
export * from "./parachain/genesis.js";
export * as inflationMath from "./parachain/inflation/math.js";
export {
  BONUS_POT_ACCOUNT,
  DAPP_POT_ACCOUNT,
  STAKER_POT_ACCOUNT,
  TREASURY_ACCOUNT,
} from "./parachain/inflation/pallet.js";
export * from "./parachain/relayState.js";
export * from "./parachain/result.js";
export * from "./parachain/runtime.js";
export * from "./parachain/signing.js";
export * as relay from "./relay/index.js";
export * from "./runtimeApi.js";
export { paraGenesisFromSpec, relayGenesisFromSpec, type SpecGenesis } from "./specGenesis.js";
