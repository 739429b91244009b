/**
 * The metrics the chain machinery reports to. Declared as small interfaces that prom-client's `Gauge`,
 * `Counter` and `Histogram` satisfy, so this package does not depend on prom-client: the node wiring
 * creates them in its registry (Substrate names where Substrate has one) and passes them in, or nothing.
 */

import type { NetworkMetrics } from "@parapipe/network";

/** A gauge with labels (prom-client `Gauge<L>`). */
export interface LabelledGauge<L extends string> {
  set(labels: Partial<Record<L, string | number>>, value: number): void;
}

/** A gauge without labels. */
export interface PlainGauge {
  set(value: number): void;
}

/** A counter with labels (prom-client `Counter<L>`). */
export interface LabelledCounter<L extends string> {
  inc(labels: Partial<Record<L, string | number>>, value?: number): void;
}

/** A histogram without labels, in seconds. */
export interface PlainHistogram {
  observe(value: number): void;
}

/** Block import and chain head metrics. */
export interface ChainMetrics {
  /** `substrate_block_height{status="best"|"finalized"}`. */
  blockHeight: LabelledGauge<"status">;
  /** `parapipe_block_import_total{origin, result}`: one per import call (result = the `ImportResult` status). */
  blockImports: LabelledCounter<"origin" | "result">;
  /** `parapipe_block_import_seconds`: execution plus the database write of imported blocks. */
  blockImportSeconds: PlainHistogram;
  /** `parapipe_chain_reorgs_total`: best-chain changes that retracted blocks. */
  reorgs: { inc(): void };
}

/** Finality metrics. */
export interface FinalityMetrics {
  /** `parapipe_finality_votes_total{outcome}`: one per `noteVote` (outcome = the vote status or error code). */
  votes: LabelledCounter<"outcome">;
}

/** Transaction pool metrics. */
export interface TxPoolMetrics {
  /** `substrate_ready_transactions_number`. */
  readyTransactions: PlainGauge;
  /** `parapipe_txpool_future_transactions`. */
  futureTransactions: PlainGauge;
  /** `parapipe_txpool_bytes`: encoded bytes of the ready and future transactions (bounded by `maxBytes`). */
  bytes?: PlainGauge;
  /** `parapipe_txpool_submissions_total{outcome}`: `ready`, `future` or the refusal code. */
  submissions: LabelledCounter<"outcome">;
}

/**
 * The metrics a node's chain machinery reports to, grouped: `RelayChainNode`, `RelayValidatorNode.init` and
 * `CollatorNode.init` take one and hand each part to its importer, finality tracker, pool and network. Every
 * part is optional (a node without a finality tracker ignores `finality`); `createNodeMetrics` makes all four.
 */
export interface NodeMetricsSet {
  chain?: ChainMetrics;
  finality?: FinalityMetrics;
  txPool?: TxPoolMetrics;
  network?: NetworkMetrics;
}
