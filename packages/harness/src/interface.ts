import type { ByzantineCollationKind, CollatorNode } from "@parapipe/collator";
import type { ChainSpec } from "@parapipe/primitives";
import type { RelayValidatorNode } from "@parapipe/relay-validator";
import type { BackingMode } from "@parapipe/runtime";
import type { ChainEvent } from "./chainReads.js";
import type { NetnsNetwork } from "./netns.js";
import type { RpcClient } from "./rpcClient.js";
import type { Observation } from "./wait.js";

/** What a node is: a relay validator, a collator (a para node with a key) or a para full node. */
export type NodeKind = "validator" | "collator" | "fullNode";

/** The loopback ports a node uses; they stay the same across `restart()`. */
export interface NodePorts {
  /** libp2p (the relay network for a validator, the para network for a para node). */
  p2p: number;
  /** JSON-RPC, HTTP and WebSocket. */
  rpc: number;
  /** Prometheus (`/metrics`); process mode only. */
  prometheus?: number;
  /** A para node's embedded relay node's libp2p port. */
  relayP2p?: number;
}

/** How a node's process exited: its exit code, or the signal that ended it. */
export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One node of a `TestNetwork`, the same API in both modes. */
export interface NodeHandle {
  /** `alice`, `collator-alice`, `fullnode-1` ... */
  readonly name: string;
  readonly kind: NodeKind;
  /** The node's own directory (database, keystore, network key); removed by `TestNetwork.close()`. */
  readonly basePath: string;
  /** Its libp2p PeerId (the same across restarts). */
  readonly peerId: string;
  /** `/ip4/127.0.0.1/tcp/<p2p>/p2p/<peerId>` (netns: the node's own address): what other nodes use as bootnode. */
  readonly multiaddr: string;
  readonly ports: NodePorts;
  /** A JSON-RPC client of the node (works while the node runs; across restarts too). */
  readonly rpc: RpcClient;
  /** Whether the node runs (started and not stopped, killed or exited). */
  readonly running: boolean;
  /** The process id in process mode (undefined in-process or while stopped). */
  readonly pid: number | undefined;
  /**
   * Process mode: how the node's last process exited (`{code, signal}`, e.g. `signal: "SIGKILL"` after `kill()`);
   * undefined while it runs, before its first start, and in-process.
   */
  readonly lastExit: NodeExit | undefined;
  /**
   * Prometheus samples keyed as `parseMetricsText` keys them (`substrate_block_height{status="best"}`). Process
   * mode scrapes the node's port. In-process reads the node's registry, which holds the node's own metrics
   * (`substrate_*`, import, pool, network, a validator's candidate pipeline) but not the read-out gauges the CLI
   * adds to a collator process (`parapipe_para_*`, `parapipe_collator_candidates_*`): read `node.stats` there.
   */
  metrics(): Promise<Map<string, number>>;
  /** The node's last `n` log lines (JSON lines, every start of the node; default 50). */
  logTail(n?: number): string[];
  /** Starts a stopped node on the same base path, ports and keys. */
  start(): Promise<void>;
  /** Stops gracefully (process: SIGTERM, SIGKILL after 15 s; in-process: `close()` in order). */
  stop(): Promise<void>;
  /**
   * Process mode: SIGKILL (no shutdown: what a crash leaves on disk). In-process there is no way to crash one
   * node of a process, so this is `stop()`; test crash recovery with `processes: true`.
   */
  kill(): Promise<void>;
  /** `stop()` (if running), then `start()`: same base path, ports and keys, so the node resumes its database. */
  restart(): Promise<void>;
  /**
   * Cuts this node off from every other node (both of a collator's networks); the test still reaches its RPC and
   * metrics. In-process with `faults` (the `NetworkFaults` link filter); process mode with `isolation: "netns"`
   * (nftables drop rules: packets vanish, as in a real partition). Otherwise rejects with `HarnessError`
   * `ISOLATION_UNAVAILABLE`.
   */
  isolate(): Promise<void>;
  /** Undoes `isolate()` and every link of this node cut by `TestNetwork.cut`. */
  heal(): Promise<void>;
}

/** A relay validator's handle. */
export interface ValidatorHandle extends NodeHandle {
  readonly kind: "validator";
  /** Its dev key name (`Alice`). */
  readonly devName: string;
  /** In-process: the running node, for white-box assertions (a new object after `restart()`); else undefined. */
  readonly node: RelayValidatorNode | undefined;
}

/** A collator's or para full node's handle. */
export interface ParaNodeHandle extends NodeHandle {
  readonly kind: "collator" | "fullNode";
  /** A collator's dev key name (`Alice`); undefined for a full node. */
  readonly devName: string | undefined;
  /** The embedded relay node's PeerId. */
  readonly relayPeerId: string;
  /** The embedded relay node's `/ip4/127.0.0.1/tcp/<relayP2p>/p2p/<relayPeerId>` (netns: the node's address). */
  readonly relayMultiaddr: string;
  /** In-process: the running node, for white-box assertions (a new object after `restart()`); else undefined. */
  readonly node: CollatorNode | undefined;
}

/** Options of `startNetwork`. */
export interface StartNetworkOptions {
  /** Backing mode of the dev specs (ignored with `specs`, which carry their own). */
  mode: BackingMode;
  /** Relay slot in ms of the dev specs; also scales the wait-for helpers' default timeouts. */
  relaySlotMs: number;
  /** Relay validators: a count (Alice, Bob, ...) or dev names. With `specs`, the names must be its validators. */
  validators: number | string[];
  /** Collators: a count (Alice, Bob, ...) or dev names; 0 or [] for none. */
  collators: number | string[];
  /** Para full nodes (no key). Default 0. */
  fullNodes?: number;
  /** Every node as its own `parapipe` process (true) or all in this process (false, default). */
  processes?: boolean;
  /** Chain specs to run (default `devChainSpecs` of `mode`, `relaySlotMs`, the validator and collator names). */
  specs?: { relay: ChainSpec; para: ChainSpec };
  /**
   * The nodes' log directives, Substrate style (`info`, `info,backing=debug`). Default `LOG_LEVEL` if set, else
   * `info`. In-process logs go to a memory buffer per node (echoed to stderr when `LOG_LEVEL` is set); process
   * logs to `<baseDir>/<name>.log`.
   */
  logLevel?: string;
  /** How long a node may take to serve RPC after it was started. Default 60 s. */
  startTimeoutMs?: number;
  /**
   * In-process only: enable the networks' fault injection (`NetworkFaults`: isolate/heal, per-topic drops and
   * delays), reached through `handle.node.network.faults` (a collator's relay side: `node.relay.network.faults`).
   * `{seed}` makes the random drops reproducible. Off by default.
   */
  faults?: boolean | { seed?: number };
  /**
   * Process mode only: `"netns"` runs each node in a network namespace of its own with its own address
   * (`10.213.<k>.<10+i>`, a bridge between them), so `isolate()` / `heal()` / `cut()` / `restore()` work by
   * nftables rules. Needs root, `ip` and `nft`: check `netnsAvailable()` and skip otherwise.
   */
  isolation?: "netns";
}

/** Options every wait-for helper takes. */
export interface WaitForOptions {
  /** Default: scaled with the relay slot (see each helper). */
  timeoutMs?: number;
  /** The node to read (default: the first running node of the right kind). */
  on?: NodeHandle;
}

/** Options of `waitFor.event`. */
export interface EventWaitOptions extends WaitForOptions {
  /** Which chain's events (default `para`). */
  chain?: "para" | "relay";
  /** The first block to look at (default 1: every block of the best chain). */
  since?: number;
  /** Only look at finalized blocks. */
  finalized?: boolean;
  /** Only events this accepts (e.g. a transfer to one account). */
  where?: (e: ChainEvent) => boolean;
}

/** A block a wait-for helper saw. */
export interface ObservedBlock {
  number: number;
  hash: string;
}

/**
 * Wait-for helpers on chain conditions. Each polls over JSON-RPC (so both modes behave the same), resolves with
 * what it saw once the condition holds, and on timeout rejects with `HarnessError` `WAIT_TIMEOUT` whose message
 * says what was last observed ("para included #3 not reached in 20000 ms; last observed: included #1 at relay
 * #7 (alice)"). Default timeouts: (n + 10) relay slots (parablock conditions: twice that with sync backing),
 * at least 10 s.
 */
export interface WaitFor {
  /** The relay best block reaches `n` (on a validator). */
  relayHeight(n: number, o?: WaitForOptions): Promise<ObservedBlock>;
  /** The relay finalized block reaches `n` (on a validator). */
  relayFinalized(n: number, o?: WaitForOptions): Promise<ObservedBlock>;
  /** The relay chain (a validator's best block) has included para block `n` (`Paras.Heads`). */
  paraIncluded(n: number, o?: WaitForOptions): Promise<{ included: number; relay: number }>;
  /** The para best block reaches `n` (on a collator or full node). */
  paraHeight(n: number, o?: WaitForOptions): Promise<ObservedBlock>;
  /** The para finalized block (included in a finalized relay block) reaches `n`. */
  paraFinalized(n: number, o?: WaitForOptions): Promise<ObservedBlock>;
  /** An event `Section.Method` (`Balances.Transfer`) in a block of the chain; resolves with the event. */
  event(name: string, o?: EventWaitOptions): Promise<ChainEvent>;
  /**
   * Any condition: `check` returns true/false or `{done, observed, value}` (what it saw goes into the timeout
   * message). Default timeout 20 relay slots, at least 10 s.
   */
  condition<T = undefined>(
    what: string,
    check: () => Observation<T> | Promise<Observation<T>>,
    o?: { timeoutMs?: number; intervalMs?: number },
  ): Promise<T>;
}

/** A running network of relay validators, collators and para full nodes. */
export interface TestNetwork {
  readonly processes: boolean;
  readonly relaySlotMs: number;
  readonly relaySpec: ChainSpec;
  readonly paraSpec: ChainSpec;
  readonly paraId: number;
  /** The specs as files (`chainSpecToJson`), what process nodes run and what `--chain` takes. */
  readonly specFiles: { relay: string; para: string };
  /** The network's temp dir: every node's base path, the spec files, the process logs. */
  readonly baseDir: string;
  readonly validators: ValidatorHandle[];
  readonly collators: ParaNodeHandle[];
  readonly fullNodes: ParaNodeHandle[];
  /** Every node: validators, collators, full nodes. */
  nodes(): NodeHandle[];
  /** The node called `name`; throws `BAD_OPTIONS` when there is none. */
  node(name: string): NodeHandle;
  /**
   * Starts one more para node that bootstraps from the running ones: a collator with `collator`, else a full node.
   * `byzantine` (a collator only) makes it advertise invalid collations of `kind` instead of collating, sealed
   * with the dev key `auraKey` (default its own; in-process only) — see `CollatorOptions.byzantine`.
   */
  addParaNode(o?: {
    collator?: string;
    byzantine?: { kind: ByzantineCollationKind; auraKey?: string };
  }): Promise<ParaNodeHandle>;
  /** Cuts the link between two nodes, both ways (see `NodeHandle.isolate` for the modes that can). */
  cut(a: NodeHandle, b: NodeHandle): Promise<void>;
  /** Undoes `cut(a, b)`. */
  restore(a: NodeHandle, b: NodeHandle): Promise<void>;
  /** With `isolation: "netns"`: the namespaces, addresses and nft table of the network; else undefined. */
  readonly netns: NetnsNetwork | undefined;
  readonly waitFor: WaitFor;
  /**
   * Stops every node (para nodes, then validators; processes get SIGTERM, then SIGKILL), closes RPC clients,
   * removes `baseDir`. Safe to call twice; also done on process exit, SIGINT and SIGTERM.
   */
  close(): Promise<void>;
}
