/**
 * Shared machinery of the network tests: start N real libp2p networks on 127.0.0.1 (port 0), wait for a
 * condition with a deadline, fake metrics, a logger that is silent unless LOG_LEVEL is set.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  createNetwork,
  type Network,
  type NetworkLogger,
  type NetworkMetrics,
  type NetworkOptions,
  type NodeKey,
  type ReqRespInboundOutcome,
  type ReqRespOutboundOutcome,
} from "../../src/index.js";

/** A fixed 32-byte genesis hash for tests. */
export const TEST_GENESIS = `0x${"ab".repeat(32)}`;

/** A deterministic node key: `index` in the last two bytes, 0x7e elsewhere. */
export function testKey(index: number): NodeKey {
  const secret = new Uint8Array(32).fill(0x7e);
  secret[30] = (index >> 8) & 0xff;
  secret[31] = index & 0xff;
  return { secret };
}

const LEVELS = ["debug", "info", "warn", "error"] as const;

/** Logs to stderr at and above `LOG_LEVEL` (debug/info/warn/error); silent when it is unset. */
export function testLogger(name: string): NetworkLogger {
  const level = process.env.LOG_LEVEL;
  const min = level === undefined ? LEVELS.length : LEVELS.indexOf(level as (typeof LEVELS)[number]);
  const make =
    (l: (typeof LEVELS)[number]) =>
    (obj: Record<string, unknown>, msg: string): void => {
      if (min >= 0 && LEVELS.indexOf(l) >= min) console.error(`[${name}] ${l} ${msg} ${JSON.stringify(obj)}`);
    };
  return { debug: make("debug"), info: make("info"), warn: make("warn"), error: make("error") };
}

/** Metrics that remember every call. */
export interface RecordingMetrics extends NetworkMetrics {
  verdicts: { topic: string; verdict: string; code?: string | undefined }[];
  handlerErrors: string[];
  inbound: { protocol: string; outcome: ReqRespInboundOutcome }[];
  outbound: { protocol: string; outcome: ReqRespOutboundOutcome }[];
  peerCounts: number[];
}

/** A `NetworkMetrics` recording into arrays. */
export function recordingMetrics(): RecordingMetrics {
  const m: RecordingMetrics = {
    verdicts: [],
    handlerErrors: [],
    inbound: [],
    outbound: [],
    peerCounts: [],
    gossipVerdict: (topic, verdict, code) => m.verdicts.push({ topic, verdict, code }),
    gossipHandlerError: (topic) => m.handlerErrors.push(topic),
    reqresp: (protocol, outcome) => m.inbound.push({ protocol, outcome }),
    reqrespOutbound: (protocol, outcome) => m.outbound.push({ protocol, outcome }),
    peers: (count) => m.peerCounts.push(count),
  };
  return m;
}

/**
 * Polls `cond` until it holds; fails with `what` after `timeoutMs`. Never a blind sleep: the wait ends as
 * soon as the condition does.
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${typeof what === "string" ? what : what()}`);
    await sleep(intervalMs);
  }
}

/** A started test node. */
export interface TestNode {
  net: Network;
  metrics: RecordingMetrics;
  /** Its first listen address (with /p2p/). */
  addr: string;
}

/** Options of `startNodes`. */
export interface StartNodesOptions {
  /** `star`: every node bootnodes to node 0; `mesh`: every node bootnodes to all earlier ones. */
  topology?: "star" | "mesh";
  /** First key index (so separate suites use distinct identities). */
  keyBase?: number;
  /** Extra options for node `i`. */
  options?: (i: number) => Partial<NetworkOptions>;
  /** Called before node `i` starts: subscribe topics, register protocols. */
  setup?: (net: Network, i: number) => void;
}

/**
 * Creates and starts `n` networks on 127.0.0.1 with port 0 and waits until the topology is connected.
 * Push every node to `registry` as soon as it exists so the caller's `after` stops it even if this fails.
 */
export async function startNodes(n: number, registry: Network[], o: StartNodesOptions = {}): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (let i = 0; i < n; i++) {
    const metrics = recordingMetrics();
    const bootnodes = i === 0 ? [] : o.topology === "mesh" ? nodes.map((x) => x.addr) : [(nodes[0] as TestNode).addr];
    const net = await createNetwork(
      {
        listen: ["/ip4/127.0.0.1/tcp/0"],
        bootnodes,
        nodeKey: testKey((o.keyBase ?? 0) + i),
        genesisHash: TEST_GENESIS,
        ...o.options?.(i),
      },
      { logger: testLogger(`n${i}`), metrics },
    );
    registry.push(net);
    o.setup?.(net, i);
    await net.start();
    const addr = net.listenAddrs()[0];
    if (addr === undefined) throw new Error(`node ${i} has no listen address`);
    nodes.push({ net, metrics, addr });
  }
  const expected = (i: number) => (o.topology === "mesh" ? n - 1 : i === 0 ? n - 1 : 1);
  await waitFor(
    () => nodes.every((x, i) => x.net.peers().length >= expected(i)),
    `${o.topology ?? "star"} of ${n} nodes connected`,
  );
  return nodes;
}

/** Stops every network, ignoring errors (for `after` hooks). */
export async function stopAll(registry: Network[]): Promise<void> {
  await Promise.all(registry.map((net) => net.stop().catch(() => undefined)));
}
