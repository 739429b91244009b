/**
 * Chain specs: Substrate's JSON format with parapipe's relay and parachain genesis sections, its loader
 * (pure: text or parsed JSON in, a typed and normalised {@link ChainSpec} out) and the inverse writers.
 */
export {
  DEFAULT_SS58_FORMAT,
  formatPerquintill,
  PERQUINTILL_ONE,
  U128_MAX,
} from "./codec.js";
export { ChainSpecError, type ChainSpecErrorType } from "./errors.js";
export { DEFAULT_CHAIN_PROPERTIES, parseChainSpec } from "./parse.js";
export { PARA_RUNTIME_ID, RELAY_RUNTIME_ID, runtimeCode, runtimeIdOf, runtimeKindOfCode } from "./runtimeCode.js";
export {
  type ChainSpecJson,
  chainSpecToJson,
  type PlainGenesisJson,
  type RawGenesisJson,
  rawChainSpecJson,
} from "./toJson.js";
export type {
  AsyncBackingParams,
  BalanceEntry,
  BalancesGenesis,
  ChainKind,
  ChainProperties,
  ChainSpec,
  ChainType,
  CycleConfiguration,
  HostConfiguration,
  InflationParams,
  ParaAuraGenesis,
  ParachainSystemGenesis,
  ParaGenesisConfig,
  ParaGenesisEntry,
  ParaSystemGenesis,
  PlainGenesis,
  RawGenesis,
  RelayGenesisConfig,
  SudoGenesis,
} from "./types.js";
