export type { CandidateInterval, CandidateStage, RelayValidatorMetrics } from "./metrics.js";
export {
  type AuthoredBlockReport,
  PROTOCOLS,
  type RelayValidatorModules,
  RelayValidatorNode,
  type RelayValidatorOptions,
  type RelayValidatorStats,
  TOPICS,
} from "./node.js";
export { type PvfMetrics, type PvfOutcome, PvfPool, type PvfPoolOptions } from "./pvf/pool.js";
