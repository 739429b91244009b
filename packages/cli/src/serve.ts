import { join } from "node:path";
import {
  createMetricsRegistry,
  createNodeLogger,
  type Logger,
  PrometheusServer,
  registerSubstrateMetrics,
} from "@parapipe/node";
import { type ChainSpec, cryptoReady, toHex } from "@parapipe/primitives";
import type { Registry } from "prom-client";
import { type ParsedArgs, str } from "./args.js";
import { type BaseDirs, logFilterOf, prometheusOf, type RpcFlags, rpcFlagsOf } from "./nodeFlags.js";
import { removeTree } from "./paths.js";
import { type RpcChain, type RpcHandle, startRpc } from "./rpc.js";
import { VERSION } from "./version.js";

/** What `serveNode` needs from a started node of either kind. */
export interface ServedNode {
  /** `AUTHORITY` (validator or collator with a key) or `FULL`. */
  role: "AUTHORITY" | "FULL";
  genesisHash: Uint8Array;
  best(): { number: number; hash: Uint8Array };
  finalized(): { number: number; hash: Uint8Array };
  peers(): number;
  peerId: string;
  listenAddrs(): string[];
  /** Node-kind metrics (registered on the node's registry). */
  registerMetrics?(registry: Registry): void;
  /** Connected peers for `system_peers`. */
  peerInfo(): Array<{ peerId: string; roles: string; bestHash: string; bestNumber: number }>;
  /** The chain the JSON-RPC server serves. */
  rpc: RpcChain;
  /** An extra informant suffix (a collator's segment and relay view). */
  informant?(): string;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `system_peers` entries: each connected peer with the highest block it has sent us (the genesis until it sends
 * one). Peers do not exchange roles in parapipe's handshake, so every peer is reported as `FULL`.
 */
export function peerInfoOf(
  peers: string[],
  sync: { bestOf(peer: string): { hash: Uint8Array; number: number } | undefined },
  genesisHash: Uint8Array,
): Array<{ peerId: string; roles: string; bestHash: string; bestNumber: number }> {
  return peers.map((peerId) => {
    const best = sync.bestOf(peerId);
    return { peerId, roles: "FULL", bestHash: toHex(best?.hash ?? genesisHash), bestNumber: best?.number ?? 0 };
  });
}

/** The chain a node's JSON-RPC serves: its database, import events, runtime, pool and submission path. */
export function rpcChainOf(
  n: Omit<RpcChain, "submit"> & { submitTransaction(tx: Uint8Array): Promise<unknown> },
): RpcChain {
  return {
    chain: n.chain,
    importer: n.importer,
    adapter: n.adapter,
    runtime: n.runtime,
    pool: n.pool,
    submit: (tx) => n.submitTransaction(tx),
  };
}

/** Everything a node command resolved from its flags before opening the node. */
export interface NodeLaunch {
  command: string;
  args: ParsedArgs;
  spec: ChainSpec;
  dirs: BaseDirs;
  name: string;
  /** Lines printed at start after the common ones (para id, relay chain, ...). */
  describe: string[];
  /**
   * Opens the node. `registry` is the Prometheus registry (absent with `--no-prometheus`), created before the
   * node so that its importer, pool, network and pipeline report to it from the first block.
   */
  open(log: Logger, registry?: Registry): Promise<ServedNode>;
}

const short = (h: Uint8Array) => {
  const x = toHex(h);
  return `${x.slice(0, 6)}…${x.slice(-4)}`;
};

/**
 * Runs one node until SIGINT/SIGTERM (or the parent devnet going away): logger, Prometheus and RPC (bound
 * first, so a port in use fails before the database opens), the node, the informant line every 5 s; then
 * closes everything in reverse order and removes a `--tmp` base path. Returns the exit code.
 */
export async function serveNode(l: NodeLaunch): Promise<number> {
  const filter = logFilterOf(l.args, l.command);
  const format = str(l.args, "log-format") ?? "auto";
  const log = createNodeLogger({
    filter,
    ...(format === "auto" ? {} : { pretty: format === "pretty" }),
  });
  const rpcFlags: RpcFlags = rpcFlagsOf(l.args, l.command);
  const prom = prometheusOf(l.args, l.command);
  await cryptoReady();

  log.info({}, `parapipe ${VERSION}`);
  log.info({}, `📋 Chain specification: ${l.spec.name}`);
  log.info({}, `🏷  Node name: ${l.name}`);
  for (const line of l.describe) log.info({}, line);
  log.info({}, `💾 Database: LevelDb at ${l.dirs.chain}/db`);

  const cleanup: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of cleanup.reverse()) await c().catch((e) => log.warn({ err: e }, "Shutdown step failed"));
    cleanup.length = 0;
    if (l.dirs.temporary) removeTree(l.dirs.base);
  };

  // Signals are handled from here on, not only once the node runs: a Ctrl-C while the database opens or the
  // network starts lets that step finish, then closes what is open (exit 0), as Substrate's runner does. A
  // second one leaves at once.
  let stopReason: string | undefined;
  let wake: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    wake = r;
  });
  const onStop = (why: string) => {
    if (stopReason !== undefined) process.exit(130);
    stopReason = why;
    log.info({ reason: why }, "Shutting down");
    wake();
  };
  const onSigint = () => onStop("SIGINT");
  const onSigterm = () => onStop("SIGTERM");
  const onDisconnect = () => onStop("devnet parent exited");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  // Started by `parapipe devnet` with an IPC channel: a parent that dies takes its children with it.
  if (process.send) process.on("disconnect", onDisconnect);
  const unhook = () => {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
    process.off("disconnect", onDisconnect);
  };
  const shutdown = async (): Promise<number> => {
    try {
      await closeAll();
      return 0;
    } catch {
      return 1;
    } finally {
      unhook();
    }
  };

  let node: ServedNode | undefined;
  try {
    let registry: Registry | undefined;
    if (prom) {
      registry = createMetricsRegistry(l.spec.id);
      const server = new PrometheusServer(registry, prom);
      await server.listen();
      cleanup.push(() => server.close());
      if (stopReason !== undefined) return await shutdown();
      log.info({}, `〽️ Prometheus exporter started at ${prom.host}:${server.address()?.port}`);
    }
    const rpc: RpcHandle = await startRpc(
      rpcFlags,
      { spec: l.spec, name: l.name, keystoreDir: join(l.dirs.chain, "keystore"), node: () => node },
      log,
    );
    cleanup.push(() => rpc.close());
    if (stopReason !== undefined) return await shutdown();
    log.info({}, `Running JSON-RPC server: addr=${rpc.address}`);

    node = await l.open(log, registry);
    const opened = node;
    cleanup.push(() => opened.close());
    if (stopReason !== undefined) return await shutdown();
    log.info({}, `🔨 Initializing Genesis block/state (header-hash: ${toHex(node.genesisHash)})`);
    log.info({}, `🏷  Local node identity is: ${node.peerId}`);
    log.info({}, `👤 Role: ${node.role}`);
    rpc.attach(node);
    await node.start();
    if (stopReason !== undefined) return await shutdown();
    for (const a of node.listenAddrs()) log.info({}, `🔍 Listening for new connections on ${a}`);
    if (registry) {
      const start = Math.floor(performance.timeOrigin / 1000);
      registerSubstrateMetrics(registry, {
        best: () => opened.best().number,
        finalized: () => opened.finalized().number,
        peers: () => opened.peers(),
        roles: () => (opened.role === "AUTHORITY" ? 4 : 1),
        startTimeSeconds: start,
        version: VERSION,
        name: l.name,
      });
      opened.registerMetrics?.(registry);
    }
  } catch (e) {
    await closeAll();
    unhook();
    throw e;
  }

  // Substrate's informant (`sc-informant`): one line every 5 s.
  const running = node;
  const informant = setInterval(() => {
    const b = running.best();
    const f = running.finalized();
    const extra = running.informant?.() ?? "";
    log.info(
      {},
      `💤 Idle (${running.peers()} peers), best: #${b.number} (${short(b.hash)}), finalized #${f.number} (${short(f.hash)})${extra}`,
    );
  }, 5000);
  cleanup.unshift(async () => clearInterval(informant));

  await stopped;
  clearInterval(informant);
  return shutdown();
}
