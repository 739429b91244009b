import { SLOT_BUCKETS } from "@parapipe/node";
import type { CandidateStage, RelayValidatorMetrics } from "@parapipe/relay-validator";
import { Counter, Histogram, type Registry } from "prom-client";

const CANDIDATE_STAGES: readonly CandidateStage[] = [
  "advertised",
  "fetched",
  "seconded",
  "backed",
  "included",
  "timed_out",
  "invalid",
];

/**
 * prom-client implementation of a relay validator's pipeline metrics, registered in `registry`:
 *
 * - `parapipe_candidates_total{stage}`: stage `advertised`, `fetched`, `seconded`, `backed`, `included`,
 *   `timed_out` or `invalid` (what each means: `CandidateStage`);
 * - `parapipe_candidate_stage_seconds{stage}` (histogram): stage `fetch`, `validation`, `backing`, `inclusion`
 *   (`CandidateInterval`);
 * - `parapipe_pvf_execution_seconds{outcome}` (histogram): the worker's execution time, outcome `valid`,
 *   `invalid` or `timeout` (a timeout observes the timeout).
 *
 * Buckets `SLOT_BUCKETS` (5 ms … 30 s, for 1–12 s slots). Call once per registry.
 */
export function createRelayValidatorMetrics(registry: Registry): RelayValidatorMetrics {
  const registers = [registry];
  const candidates = new Counter({
    name: "parapipe_candidates_total",
    help: "Candidates that reached a stage at this validator (advertised, fetched, seconded, backed, included, timed_out, invalid)",
    labelNames: ["stage"],
    registers,
  });
  // Every stage shows from the first scrape, at 0 until it happens.
  for (const stage of CANDIDATE_STAGES) candidates.inc({ stage }, 0);
  const stages = new Histogram({
    name: "parapipe_candidate_stage_seconds",
    help: "Time a candidate took between consecutive stages at this validator (fetch, validation, backing, inclusion)",
    labelNames: ["stage"],
    buckets: [...SLOT_BUCKETS],
    registers,
  });
  const pvf = new Histogram({
    name: "parapipe_pvf_execution_seconds",
    help: "PVF execution time in the worker, by outcome (valid, invalid, timeout)",
    labelNames: ["outcome"],
    buckets: [...SLOT_BUCKETS],
    registers,
  });
  return {
    candidate(stage) {
      candidates.inc({ stage });
    },
    candidateInterval(stage, seconds) {
      stages.observe({ stage }, seconds);
    },
    pvfExecution(seconds, outcome) {
      pvf.observe({ outcome }, seconds);
    },
  };
}
