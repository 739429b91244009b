export { type PvfMetrics, type PvfOutcome, PvfPool, type PvfPoolOptions } from "./pvf/pool.js";
