/**
 * The node handles: one class for every kind, with a driver per mode. In-process, the driver assembles what
 * `parapipe validator` / `parapipe collator` assemble (logger, metrics registry, JSON-RPC server, the node);
 * in process mode it runs those commands with the devnet's command lines.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import {
  createRelayValidatorMetrics,
  PARAPIPE_BIN,
  parseMetricsText,
  peerInfoOf,
  type RpcHandle,
  rpcChainOf,
  type ServedNode,
  startRpc,
  VERSION,
} from "@parapipe/cli";
import { type ByzantineCollationKind, CollatorNode } from "@parapipe/collator";
import { NetworkFaults, type NodeKey, nodeKeyToHex } from "@parapipe/network";
import {
  createMetricsRegistry,
  createNodeLogger,
  createNodeMetrics,
  parseLogFilter,
  registerSubstrateMetrics,
} from "@parapipe/node";
import { type ChainSpec, devKeypair } from "@parapipe/primitives";
import { RelayValidatorNode } from "@parapipe/relay-validator";
import type { Registry } from "prom-client";
import { HarnessError } from "./errors.js";
import type { NodeExit, NodeKind, NodePorts, ParaNodeHandle, ValidatorHandle } from "./interface.js";
import type { LinkControl } from "./isolation.js";
import { LogBuffer, tailFile } from "./logBuffer.js";
import type { ProcessRegistry, TrackedProcess } from "./registry.js";
import { RpcClient } from "./rpcClient.js";

/** What a node needs from its network when it starts. */
export interface NodeContext {
  relaySpec: ChainSpec;
  paraSpec: ChainSpec;
  specFiles: { relay: string; para: string };
  logLevel: string;
  /** Echo in-process logs to stderr. */
  echoLogs: boolean;
  startTimeoutMs: number;
  /** In-process nodes get `NetworkFaults` on their networks. */
  faults?: { seed?: number };
  registry: ProcessRegistry;
  /** How `isolate()` / `heal()` cut links in this network. */
  links: LinkControl;
  /** The bootnodes of `node` now: other nodes of its chain (para nodes: and the validators, for the relay side). */
  bootnodesFor(node: HarnessNode): { own: string[]; relay: string[] };
}

/** Everything fixed about a node: name, keys, ports, paths. */
export interface NodeLayout {
  name: string;
  kind: NodeKind;
  /** Dev key name (`Alice`): validators and collators. */
  devName: string | undefined;
  basePath: string;
  /** Process mode's log file. */
  logFile: string;
  ports: NodePorts;
  nodeKey: NodeKey;
  peerId: string;
  relayNodeKey?: NodeKey;
  relayPeerId?: string;
  /** A byzantine collator's kind and the dev key it seals with (`TestNetwork.addParaNode`). */
  byzantine?: { kind: ByzantineCollationKind; auraKey?: string };
  /** The address the node listens on and is reached at (default 127.0.0.1; its own with `isolation: "netns"`). */
  host?: string;
  /** Process mode: the argv that runs the node's command elsewhere (`ip netns exec <ns>`); default none. */
  spawnPrefix?: string[];
}

interface Driver {
  readonly running: boolean;
  readonly pid: number | undefined;
  readonly lastExit: NodeExit | undefined;
  readonly node: RelayValidatorNode | CollatorNode | undefined;
  start(): Promise<void>;
  stop(how: "graceful" | "kill"): Promise<void>;
  metrics(): Promise<Map<string, number>>;
  logTail(n: number): string[];
}

const multiaddrOf = (host: string, port: number, peerId: string) => `/ip4/${host}/tcp/${port}/p2p/${peerId}`;
const hostOf = (l: NodeLayout) => l.host ?? "127.0.0.1";

/** A node of a test network; exposed as `ValidatorHandle` or `ParaNodeHandle` by its kind. */
export class HarnessNode {
  readonly rpc: RpcClient;
  private readonly driver: Driver;
  /** Serialises start/stop so overlapping calls (a test's stop and the network's close) do not interleave. */
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(
    readonly layout: NodeLayout,
    private readonly ctx: NodeContext,
    processes: boolean,
  ) {
    this.rpc = new RpcClient(() => `${hostOf(layout)}:${layout.ports.rpc}`);
    this.driver = processes ? new ProcessDriver(layout, ctx, this) : new InProcessDriver(layout, ctx, this);
  }

  get name(): string {
    return this.layout.name;
  }
  get kind(): NodeKind {
    return this.layout.kind;
  }
  get devName(): string | undefined {
    return this.layout.devName;
  }
  get basePath(): string {
    return this.layout.basePath;
  }
  get peerId(): string {
    return this.layout.peerId;
  }
  get relayPeerId(): string {
    return this.layout.relayPeerId ?? "";
  }
  get ports(): NodePorts {
    return this.layout.ports;
  }
  get multiaddr(): string {
    return multiaddrOf(hostOf(this.layout), this.layout.ports.p2p, this.layout.peerId);
  }
  /** A para node's embedded relay node's multiaddr ("" for a validator). */
  get relayMultiaddr(): string {
    const { relayP2p } = this.layout.ports;
    return relayP2p === undefined ? "" : multiaddrOf(hostOf(this.layout), relayP2p, this.relayPeerId);
  }
  get running(): boolean {
    return this.driver.running;
  }
  get pid(): number | undefined {
    return this.driver.pid;
  }
  get lastExit(): NodeExit | undefined {
    return this.driver.lastExit;
  }
  /** The in-process node (narrowed by `ValidatorHandle` / `ParaNodeHandle`). */
  get node(): RelayValidatorNode | CollatorNode | undefined {
    return this.driver.node;
  }

  metrics(): Promise<Map<string, number>> {
    return this.driver.metrics();
  }

  logTail(n = 50): string[] {
    return this.driver.logTail(n);
  }

  start(): Promise<void> {
    return this.serially(async () => {
      if (!this.driver.running) await this.driver.start();
    });
  }

  stop(): Promise<void> {
    return this.serially(async () => {
      this.rpc.close();
      await this.driver.stop("graceful");
    });
  }

  kill(): Promise<void> {
    return this.serially(async () => {
      this.rpc.close();
      await this.driver.stop("kill");
    });
  }

  restart(): Promise<void> {
    return this.serially(async () => {
      await this.driver.stop("graceful");
      await this.driver.start();
    });
  }

  isolate(): Promise<void> {
    return this.ctx.links.isolate(this);
  }

  heal(): Promise<void> {
    return this.ctx.links.heal(this);
  }

  /** This node as a validator's handle. */
  asValidator(): ValidatorHandle {
    return this as unknown as ValidatorHandle;
  }

  /** This node as a para node's handle. */
  asParaNode(): ParaNodeHandle {
    return this as unknown as ParaNodeHandle;
  }

  private serially(fn: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(fn, fn);
    this.lifecycle = next.catch(() => {});
    return next;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// In-process

/** A node in this process: what `serveNode` builds around it (logger, registry, RPC), without the signals. */
class InProcessDriver implements Driver {
  private current?: { node: RelayValidatorNode | CollatorNode; rpc: RpcHandle; registry: Registry };
  private readonly log: LogBuffer;

  constructor(
    private readonly l: NodeLayout,
    private readonly ctx: NodeContext,
    private readonly handle: HarnessNode,
  ) {
    this.log = new LogBuffer(5000, ctx.echoLogs ? l.name : undefined);
  }

  get running(): boolean {
    return this.current !== undefined;
  }
  get pid(): number | undefined {
    return undefined;
  }
  get lastExit(): undefined {
    return undefined;
  }
  get node(): RelayValidatorNode | CollatorNode | undefined {
    return this.current?.node;
  }

  async start(): Promise<void> {
    const l = this.l;
    const logger = createNodeLogger({
      filter: parseLogFilter([this.ctx.logLevel]),
      pretty: false,
      destination: this.log.stream,
      bindings: { node: l.name },
    });
    const spec = l.kind === "validator" ? this.ctx.relaySpec : this.ctx.paraSpec;
    const registry = createMetricsRegistry(spec.id);
    let served: ServedNode | undefined;
    const rpc = await startRpc(
      {
        host: "127.0.0.1",
        port: l.ports.rpc,
        methods: "unsafe",
        cors: "all",
        maxConnections: 100,
        maxRequestBytes: 15 * 1024 * 1024,
        maxResponseBytes: 15 * 1024 * 1024,
        maxSubscriptionsPerConnection: 1024,
      },
      { spec, name: l.name, keystoreDir: join(l.basePath, "keystore"), node: () => served },
      logger,
    );
    let node: RelayValidatorNode | CollatorNode | undefined;
    try {
      const boot = this.ctx.bootnodesFor(this.handle);
      const key = l.devName === undefined ? undefined : devKeypair(l.devName);
      const listen = [`/ip4/127.0.0.1/tcp/${l.ports.p2p}`];
      if (l.kind === "validator") {
        const v = await RelayValidatorNode.init(
          { spec, basePath: l.basePath, ...(key ? { key } : {}), listen, bootnodes: boot.own, nodeKey: l.nodeKey },
          {
            logger,
            metrics: createNodeMetrics(registry),
            pipelineMetrics: createRelayValidatorMetrics(registry),
            ...(this.ctx.faults ? { faults: new NetworkFaults(this.ctx.faults) } : {}),
          },
        );
        node = v;
        served = {
          role: key ? "AUTHORITY" : "FULL",
          genesisHash: v.chain.genesisHash,
          best: () => v.best,
          finalized: () => v.finalized,
          peers: () => v.network.peers().length,
          peerId: v.network.peerId,
          listenAddrs: () => v.network.listenAddrs(),
          peerInfo: () => peerInfoOf(v.network.peers(), v.sync, v.chain.genesisHash),
          rpc: rpcChainOf(v),
          start: () => v.start(),
          close: () => v.close(),
        };
      } else {
        const c = await CollatorNode.init(
          {
            paraSpec: this.ctx.paraSpec,
            relaySpec: this.ctx.relaySpec,
            basePath: l.basePath,
            ...(key ? { key } : {}),
            ...(l.byzantine
              ? {
                  byzantine: {
                    kind: l.byzantine.kind,
                    ...(l.byzantine.auraKey ? { auraKey: devKeypair(l.byzantine.auraKey) } : {}),
                  },
                }
              : {}),
            listen,
            bootnodes: boot.own,
            nodeKey: l.nodeKey,
            relay: {
              listen: [`/ip4/127.0.0.1/tcp/${l.ports.relayP2p}`],
              bootnodes: boot.relay,
              ...(l.relayNodeKey ? { nodeKey: l.relayNodeKey } : {}),
            },
          },
          {
            logger,
            metrics: createNodeMetrics(registry),
            ...(this.ctx.faults
              ? { faults: { para: new NetworkFaults(this.ctx.faults), relay: new NetworkFaults(this.ctx.faults) } }
              : {}),
          },
        );
        node = c;
        served = {
          role: key ? "AUTHORITY" : "FULL",
          genesisHash: c.genesisHash,
          best: () => c.best,
          finalized: () => c.finalized,
          peers: () => c.network.peers().length,
          peerId: c.network.peerId,
          listenAddrs: () => c.network.listenAddrs(),
          peerInfo: () => peerInfoOf(c.network.peers(), c.sync, c.genesisHash),
          rpc: rpcChainOf(c),
          start: () => c.start(),
          close: () => c.close(),
        };
      }
      rpc.attach(served);
      await node.start();
      const n = served;
      registerSubstrateMetrics(registry, {
        best: () => n.best().number,
        finalized: () => n.finalized().number,
        peers: () => n.peers(),
        roles: () => (n.role === "AUTHORITY" ? 4 : 1),
        startTimeSeconds: Math.floor(Date.now() / 1000),
        version: VERSION,
        name: l.name,
      });
    } catch (e) {
      await node?.close().catch(() => {});
      await rpc.close().catch(() => {});
      throw new HarnessError(
        { code: "NODE_START_FAILED", node: l.name, reason: e instanceof Error ? e.message : String(e) },
        `${l.name} failed to start: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    this.current = { node, rpc, registry };
  }

  async stop(): Promise<void> {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    await c.rpc.close().catch(() => {});
    await c.node.close().catch(() => {});
  }

  async metrics(): Promise<Map<string, number>> {
    const c = this.current;
    if (!c) throw notRunning(this.l.name, "metrics()");
    return parseMetricsText(await c.registry.metrics());
  }

  logTail(n: number): string[] {
    return this.log.tail(n);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** One child process (a `parapipe` node, say) a `ProcessRegistry` can stop: its exit, once it exited. */
export class Child implements TrackedProcess {
  exit?: NodeExit;
  private readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  async kill(signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
    if (!this.alive) return true;
    this.child.kill(signal);
    let t: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => {
      t = setTimeout(() => r(false), timeoutMs);
    });
    const r = await Promise.race([this.exited.then(() => true as const), timedOut]);
    clearTimeout(t);
    return r;
  }
}

/** A node as its own `parapipe validator` / `parapipe collator` process, with the devnet's command lines. */
class ProcessDriver implements Driver {
  private current?: Child;

  constructor(
    private readonly l: NodeLayout,
    private readonly ctx: NodeContext,
    private readonly handle: HarnessNode,
  ) {}

  get running(): boolean {
    return this.current?.alive === true;
  }
  get pid(): number | undefined {
    return this.running ? this.current?.child.pid : undefined;
  }
  get lastExit(): NodeExit | undefined {
    return this.current?.exit;
  }
  get node(): undefined {
    return undefined;
  }

  /** The command line (after `parapipe`). */
  args(): string[] {
    const l = this.l;
    const boot = this.ctx.bootnodesFor(this.handle);
    const own = [
      "--base-path",
      l.basePath,
      "--name",
      l.name,
      ...(l.devName ? [`--${l.devName.toLowerCase()}`] : []),
      "--node-key",
      nodeKeyToHex(l.nodeKey),
      "--listen-addr",
      `/ip4/${hostOf(l)}/tcp/${l.ports.p2p}`,
      "--rpc-port",
      String(l.ports.rpc),
      "--rpc-cors",
      "all",
      // Off loopback (its own namespace), RPC and Prometheus listen on every interface of the node's namespace;
      // unsafe methods stay on, as on loopback.
      ...(hostOf(l) === "127.0.0.1" ? [] : ["--rpc-external", "--rpc-methods", "unsafe", "--prometheus-external"]),
      "--prometheus-port",
      String(l.ports.prometheus),
      "--log",
      this.ctx.logLevel,
      "--log-format",
      "json",
      ...boot.own.flatMap((a) => ["--bootnodes", a]),
    ];
    if (l.kind === "validator") return ["validator", "--chain", this.ctx.specFiles.relay, ...own];
    return [
      "collator",
      ...(l.kind === "collator" ? ["--collator"] : []),
      ...(l.byzantine ? ["--dev-byzantine", l.byzantine.kind] : []),
      "--chain",
      this.ctx.specFiles.para,
      ...own,
      "--",
      "--chain",
      this.ctx.specFiles.relay,
      ...(l.relayNodeKey ? ["--node-key", nodeKeyToHex(l.relayNodeKey)] : []),
      "--listen-addr",
      `/ip4/${hostOf(l)}/tcp/${l.ports.relayP2p}`,
      ...boot.relay.flatMap((a) => ["--bootnodes", a]),
    ];
  }

  async start(): Promise<void> {
    const l = this.l;
    mkdirSync(l.basePath, { recursive: true });
    const fd = openSync(l.logFile, "a");
    // The IPC channel ties the child to this process: if it dies (even of SIGKILL), the node stops itself.
    // `ip netns exec` execs in place: the child's pid is the node's, and signals and the IPC channel reach it.
    const [cmd, ...argv] = [...(l.spawnPrefix ?? []), process.execPath, PARAPIPE_BIN, ...this.args()] as [
      string,
      ...string[],
    ];
    const child = spawn(cmd, argv, {
      stdio: ["ignore", fd, fd, "ipc"],
      env: { ...process.env },
    });
    closeSync(fd);
    const c = new Child(child);
    this.current = c;
    this.ctx.registry.track(c);
    // Ready: the node serves RPC and its network listens (`serveNode` attaches RPC, then starts the node).
    const deadline = Date.now() + this.ctx.startTimeoutMs;
    let last = "no answer";
    while (Date.now() < deadline) {
      if (!c.alive) break;
      try {
        const addrs = await this.handle.rpc.call<string[]>("system_localListenAddresses");
        if (addrs.length > 0) return;
        last = "not listening yet";
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const why = c.alive
      ? `not serving RPC after ${this.ctx.startTimeoutMs} ms (${last})`
      : `exited ${JSON.stringify(c.exit)}`;
    await c.kill("SIGKILL", 5000);
    throw new HarnessError(
      { code: "NODE_START_FAILED", node: l.name, reason: why },
      `${l.name} failed to start: ${why}; last lines of ${l.logFile}:\n${tailFile(l.logFile, 15).join("\n")}`,
    );
  }

  async stop(how: "graceful" | "kill"): Promise<void> {
    const c = this.current;
    if (!c) return;
    if (how === "kill") await c.kill("SIGKILL", 10_000);
    else if (!(await c.kill("SIGTERM", 15_000))) await c.kill("SIGKILL", 10_000);
  }

  async metrics(): Promise<Map<string, number>> {
    if (!this.running) throw notRunning(this.l.name, "metrics()");
    const url = `http://${hostOf(this.l)}:${this.l.ports.prometheus}/metrics`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    } catch (e) {
      throw new HarnessError(
        { code: "RPC_TRANSPORT", url, method: "GET /metrics", reason: e instanceof Error ? e.message : String(e) },
        `${this.l.name}: cannot scrape ${url}`,
      );
    }
    return parseMetricsText(await res.text());
  }

  logTail(n: number): string[] {
    return tailFile(this.l.logFile, n);
  }
}

function notRunning(node: string, action: string): HarnessError {
  return new HarnessError({ code: "NODE_NOT_RUNNING", node, action }, `${node} is not running: cannot ${action}`);
}
