import { createServer, type Server } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";
import { PrometheusError } from "./errors.js";

/**
 * A prom-client registry whose every metric carries the `chain` label (Substrate:
 * `Registry::new_custom(None, {"chain": chain_id})`), so one Prometheus scrapes several chains apart.
 */
export function createMetricsRegistry(chainId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ chain: chainId });
  return registry;
}

/** Values a gauge reads when scraped. */
export type GaugeReader = () => number | undefined | Array<{ labels: Record<string, string>; value: number }>;

/**
 * A gauge whose value is read at scrape time (prom-client `collect`), for values the node already holds
 * (heights, peer counts, queue lengths). An `undefined` reading leaves the gauge without a sample.
 */
export function readGauge(
  registry: Registry,
  name: string,
  help: string,
  read: GaugeReader,
  labelNames: string[] = [],
) {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      const v = read();
      this.reset();
      if (v === undefined) return;
      if (typeof v === "number") this.set(v);
      else for (const s of v) this.set(s.labels, s.value);
    },
  });
}

/** A counter whose total is read at scrape time from a count the node keeps (its `stats`). */
export function readCounter(registry: Registry, name: string, help: string, read: () => number) {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** What every Substrate node exports; the reads come from the node. */
export interface SubstrateMetricsSource {
  best: () => number;
  finalized: () => number;
  peers: () => number;
  readyTransactions?: () => number;
  /** `substrate_node_roles`: 1 full, 4 authority (Substrate's `Role` bits). */
  roles: () => number;
  /** Process start in Unix seconds. */
  startTimeSeconds: number;
  version: string;
  name: string;
}

/**
 * Registers the Substrate metrics Zombienet and dashboards read: `substrate_block_height{status}`,
 * `substrate_node_roles`, `substrate_sub_libp2p_peers_count`, `substrate_ready_transactions_number`,
 * `substrate_process_start_time_seconds`, `substrate_build_info{name,version}` (names from
 * `substrate/client/service/src/metrics.rs`). A name already in the registry is left to its owner: the
 * node's pushed metrics (`createNodeMetrics`: block height, peers, ready transactions) win over these reads.
 */
export function registerSubstrateMetrics(registry: Registry, s: SubstrateMetricsSource): void {
  const gauge = (name: string, help: string, read: GaugeReader, labelNames: string[] = []) => {
    if (registry.getSingleMetric(name) === undefined) readGauge(registry, name, help, read, labelNames);
  };
  gauge(
    "substrate_block_height",
    "Block height info of the chain",
    () => [
      { labels: { status: "best" }, value: s.best() },
      { labels: { status: "finalized" }, value: s.finalized() },
    ],
    ["status"],
  );
  gauge("substrate_node_roles", "The roles the node is running as", s.roles);
  gauge("substrate_sub_libp2p_peers_count", "Number of connected peers", s.peers);
  const ready = s.readyTransactions;
  if (ready) gauge("substrate_ready_transactions_number", "Number of transactions in the ready queue", ready);
  gauge(
    "substrate_process_start_time_seconds",
    "Number of seconds between the UNIX epoch and the moment the process started",
    () => s.startTimeSeconds,
  );
  gauge(
    "substrate_build_info",
    "A metric with a constant '1' value labeled by name, version",
    () => [{ labels: { name: s.name, version: s.version }, value: 1 }],
    ["name", "version"],
  );
}

/** The `/metrics` HTTP endpoint (Substrate's Prometheus exporter, port 9615). */
export class PrometheusServer {
  private server?: Server;
  private bound?: { host: string; port: number };

  constructor(
    private readonly registry: Registry,
    private readonly opts: { host: string; port: number },
  ) {}

  /** Binds the port; `PrometheusError` `PORT_IN_USE` / `LISTEN_FAILED` when it cannot. */
  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.method !== "GET" || (req.url ?? "/").split("?")[0] !== "/metrics") {
        res.writeHead(404, { "content-type": "text/plain" }).end("Not found: the metrics are at /metrics\n");
        return;
      }
      this.registry
        .metrics()
        .then((text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text))
        .catch((e: unknown) => res.writeHead(500).end(`${e instanceof Error ? e.message : String(e)}\n`));
    });
    const { host, port } = this.opts;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          e.code === "EADDRINUSE"
            ? new PrometheusError(
                { code: "PORT_IN_USE", host, port },
                `Prometheus port ${port} on ${host} is already in use`,
              )
            : new PrometheusError(
                { code: "LISTEN_FAILED", host, port, reason: e.message },
                `cannot serve Prometheus metrics on ${host}:${port}: ${e.message}`,
              ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const a = server.address();
    this.bound = { host, port: typeof a === "object" && a ? a.port : port };
  }

  /** Where it listens (after `listen`). */
  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  /** Stops serving; safe twice. */
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
