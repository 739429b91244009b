export type { CandidateInterval, CandidateStage, RelayValidatorMetrics } from "./metrics.js";
export {
  type AuthoredBlockReport,
  BYZANTINE_VALIDATOR_MODES,
  type ByzantineValidatorMode,
  PROTOCOLS,
  type RelayValidatorModules,
  RelayValidatorNode,
  type RelayValidatorOptions,
  type RelayValidatorStats,
  TOPICS,
  type ValidatorOffence,
} from "./node.js";
export { type PvfMetrics, type PvfOutcome, PvfPool, type PvfPoolOptions } from "./pvf/pool.js";
