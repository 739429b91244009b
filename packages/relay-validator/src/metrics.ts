/**
 * The pipeline metrics a relay validator reports to. Interfaces only, so this package does not depend on
 * prom-client: the node wiring (the CLI's `createRelayValidatorMetrics`) implements them, or nothing does.
 */

import type { PvfMetrics } from "./pvf/pool.js";

/**
 * A candidate reached a stage, as this validator saw it (`parapipe_candidates_total{stage}`):
 *
 * - `advertised`: this validator accepted a collator's advertisement of it;
 * - `fetched`: it fetched the collation from the collator;
 * - `seconded`: it seconded it (signed and gossiped its own `Seconded` statement);
 * - `backed`: its statement table reached the backing quorum (it validated the candidate and counted enough
 *   votes of the candidate's group), as the "Candidate backed" log line says;
 * - `included` / `timed_out`: a relay block it imported (authored or received) emitted `CandidateIncluded` /
 *   `CandidateTimedOut` for it (each candidate counted once per validator, whatever the forks);
 * - `invalid`: it refused the candidate (a failed check, a PVF error or timeout, a collation not matching
 *   its advertised hash).
 */
export type CandidateStage = "advertised" | "fetched" | "seconded" | "backed" | "included" | "timed_out" | "invalid";

/**
 * The time between two consecutive stages of one candidate at this validator
 * (`parapipe_candidate_stage_seconds{stage}`):
 *
 * - `fetch`: advertisement accepted → collation fetched;
 * - `validation`: candidate data in hand (the collation, or the PoV of a peer's `Seconded` candidate) → this
 *   validator's own statement (`Seconded` or `Valid`): checks plus PVF, queueing included;
 * - `backing`: own statement → backing quorum seen;
 * - `inclusion`: backing quorum seen → `CandidateIncluded` in an imported block.
 *
 * An interval is observed only when this validator saw both ends.
 */
export type CandidateInterval = "fetch" | "validation" | "backing" | "inclusion";

/** What a `RelayValidatorNode` reports (its `PvfPool` reports `pvfExecution`). */
export interface RelayValidatorMetrics extends PvfMetrics {
  /** One candidate reached `stage`. */
  candidate(stage: CandidateStage): void;
  /** One candidate took `seconds` for `interval`. */
  candidateInterval(interval: CandidateInterval, seconds: number): void;
}
