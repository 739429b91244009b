import type { NetworkMetrics } from "@parapipe/network";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { ChainMetrics, FinalityMetrics, NodeMetricsSet, TxPoolMetrics } from "./metrics.js";

/**
 * Histogram buckets in seconds for anything measured against 1–12 s slots: block import, PVF execution,
 * pipeline stage latencies (5 ms … 30 s).
 */
export const SLOT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 6, 12, 18, 30];

/** Every part of a `NodeMetricsSet`, as `createNodeMetrics` makes them. */
export type NodeMetrics = Required<NodeMetricsSet>;

/**
 * The short form of a topic or protocol id, the `/parapipe/<genesis8>/` namespace removed: `relay/block`,
 * `para/tx`, `collation-advertise/1`. Label values stay bounded (and equal across devnets); the scope of a
 * topic stays, so relay and para topics remain apart.
 */
export function shortProtocolName(id: string): string {
  return id.replace(/^\/parapipe\/[0-9a-f]{8}\//, "");
}

/**
 * prom-client implementations of the chain, finality, transaction pool and network metrics, registered in
 * `registry` (whose default `chain` label every sample carries):
 *
 * - `substrate_block_height{status="best"|"finalized"}` (pushed by the importer),
 *   `parapipe_block_import_total{origin, result}`, `parapipe_block_import_seconds` (histogram),
 *   `parapipe_chain_reorgs_total`;
 * - `parapipe_finality_votes_total{outcome}`;
 * - `substrate_ready_transactions_number`, `parapipe_txpool_future_transactions`,
 *   `parapipe_txpool_submissions_total{outcome}`;
 * - `parapipe_gossip_messages_total{topic, verdict}` (verdict `accept` / `ignore` / `reject`),
 *   `parapipe_gossip_handler_errors_total{topic}`, `parapipe_reqresp_requests_total{protocol, direction, outcome}`
 *   (direction `inbound` / `outbound`), `substrate_sub_libp2p_peers_count`.
 *
 * Call once per registry (prom-client refuses a name twice). `registerSubstrateMetrics` leaves the Substrate
 * names registered here to these pushed metrics.
 */
export function createNodeMetrics(registry: Registry): NodeMetrics {
  const registers = [registry];
  const chain: ChainMetrics = {
    blockHeight: new Gauge({
      name: "substrate_block_height",
      help: "Block height info of the chain",
      labelNames: ["status"],
      registers,
    }),
    blockImports: new Counter({
      name: "parapipe_block_import_total",
      help: "Block import calls, by origin (own, network, sync) and result (imported, known, unknownParent, invalid)",
      labelNames: ["origin", "result"],
      registers,
    }),
    blockImportSeconds: new Histogram({
      name: "parapipe_block_import_seconds",
      help: "Time to execute and store an imported block",
      buckets: [...SLOT_BUCKETS],
      registers,
    }),
    reorgs: new Counter({
      name: "parapipe_chain_reorgs_total",
      help: "Best-chain changes that retracted blocks",
      registers,
    }),
  };
  const finality: FinalityMetrics = {
    votes: new Counter({
      name: "parapipe_finality_votes_total",
      help: "Finality votes noted, by outcome (the vote status or the error code)",
      labelNames: ["outcome"],
      registers,
    }),
  };
  const txPool: TxPoolMetrics = {
    readyTransactions: new Gauge({
      name: "substrate_ready_transactions_number",
      help: "Number of transactions in the ready queue",
      registers,
    }),
    futureTransactions: new Gauge({
      name: "parapipe_txpool_future_transactions",
      help: "Number of transactions waiting for a transaction they require",
      registers,
    }),
    bytes: new Gauge({
      name: "parapipe_txpool_bytes",
      help: "Encoded bytes of the transactions in the pool (ready and future)",
      registers,
    }),
    submissions: new Counter({
      name: "parapipe_txpool_submissions_total",
      help: "Transactions submitted to the pool, by outcome (ready, future or the refusal code)",
      labelNames: ["outcome"],
      registers,
    }),
  };
  const gossip = new Counter({
    name: "parapipe_gossip_messages_total",
    help: "Inbound gossip messages by topic and validation verdict (accept, ignore, reject)",
    labelNames: ["topic", "verdict"],
    registers,
  });
  const handlerErrors = new Counter({
    name: "parapipe_gossip_handler_errors_total",
    help: "Accepted gossip messages whose handler threw",
    labelNames: ["topic"],
    registers,
  });
  const requests = new Counter({
    name: "parapipe_reqresp_requests_total",
    help: "Request/response exchanges by protocol, direction (inbound, outbound) and outcome",
    labelNames: ["protocol", "direction", "outcome"],
    registers,
  });
  const peers = new Gauge({
    name: "substrate_sub_libp2p_peers_count",
    help: "Number of connected peers",
    registers,
  });
  const network: NetworkMetrics = {
    gossipVerdict(topic, verdict) {
      gossip.inc({ topic: shortProtocolName(topic), verdict: verdict.toLowerCase() });
    },
    gossipHandlerError(topic) {
      handlerErrors.inc({ topic: shortProtocolName(topic) });
    },
    reqresp(protocol, outcome) {
      requests.inc({ protocol: shortProtocolName(protocol), direction: "inbound", outcome });
    },
    reqrespOutbound(protocol, outcome) {
      requests.inc({ protocol: shortProtocolName(protocol), direction: "outbound", outcome });
    },
    peers(count) {
      peers.set(count);
    },
  };
  return { chain, finality, txPool, network };
}
