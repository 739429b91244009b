/**
 * A relay chain with a parachain, in-process on loopback: relay validators (`RelayValidatorNode`), collators
 * and para full nodes (`CollatorNode`), each with its own temp base path. `close()` stops every node and
 * removes every directory, also when a test failed half way.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CollatorNode } from "@parapipe/collator";
import { generateNodeKey } from "@parapipe/network";
import { type ChainSpec, devKeypair } from "@parapipe/primitives";
import { RelayValidatorNode } from "@parapipe/relay-validator";
import { type BackingMode, devChainSpecs } from "@parapipe/runtime";

export interface ParaNetworkOptions {
  mode: BackingMode;
  relaySlotMs: number;
  validators?: string[];
  collators?: string[];
  /** The collators to start in this process (default: every collator of the spec). */
  startCollators?: string[];
  /** Para full nodes started with the network (more can join later with `addParaNode`). */
  fullNodes?: number;
}

export interface ParaNetwork {
  specs: { relay: ChainSpec; para: ChainSpec };
  validators: RelayValidatorNode[];
  collators: CollatorNode[];
  fullNodes: CollatorNode[];
  /** Starts one more para node (a collator with `key`, else a full node) bootstrapping from the network. */
  addParaNode(o?: { key?: string; basePath?: string }): Promise<CollatorNode>;
  /** Stops one para node (it stays in the lists, closed). */
  stopParaNode(node: CollatorNode): Promise<void>;
  /** Every para node (collators, full nodes), open or not. */
  paraNodes(): CollatorNode[];
  close(): Promise<void>;
}

const tcp = (addrs: string[]) => addrs.find((a) => a.includes("/tcp/") && !a.includes("/ws"))!;

export async function startParaNetwork(o: ParaNetworkOptions): Promise<ParaNetwork> {
  const specs = devChainSpecs({
    mode: o.mode,
    relaySlotMs: o.relaySlotMs,
    ...(o.validators ? { validators: o.validators } : {}),
    ...(o.collators ? { collators: o.collators } : {}),
  });
  const dirs: string[] = [];
  const validators: RelayValidatorNode[] = [];
  const collators: CollatorNode[] = [];
  const fullNodes: CollatorNode[] = [];
  const closed = new Set<CollatorNode>();
  const tmp = async (name: string) => {
    const d = await mkdtemp(join(tmpdir(), `parapipe-${name}-`));
    dirs.push(d);
    return d;
  };
  const net: ParaNetwork = {
    specs,
    validators,
    collators,
    fullNodes,
    async addParaNode(a = {}) {
      const relayBoot = validators.map((v) => tcp(v.network.listenAddrs()));
      const paraBoot = net
        .paraNodes()
        .filter((n) => !closed.has(n))
        .map((n) => tcp(n.network.listenAddrs()));
      const node = await CollatorNode.init({
        paraSpec: specs.para,
        relaySpec: specs.relay,
        basePath: a.basePath ?? (await tmp(a.key ? `collator-${a.key}` : "fullnode")),
        ...(a.key ? { key: devKeypair(a.key) } : {}),
        listen: ["/ip4/127.0.0.1/tcp/0"],
        bootnodes: paraBoot,
        nodeKey: generateNodeKey(),
        relay: { listen: ["/ip4/127.0.0.1/tcp/0"], bootnodes: relayBoot, nodeKey: generateNodeKey() },
      });
      (a.key ? collators : fullNodes).push(node);
      await node.start();
      return node;
    },
    async stopParaNode(node) {
      closed.add(node);
      await node.close();
    },
    paraNodes: () => [...collators, ...fullNodes],
    async close() {
      for (const n of net.paraNodes()) await n.close().catch(() => {});
      for (const v of validators.splice(0)) await v.close().catch(() => {});
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
  try {
    let bootnode: string | undefined;
    for (const name of o.validators ?? ["Alice", "Bob", "Charlie", "Dave"]) {
      const node = await RelayValidatorNode.init({
        spec: specs.relay,
        basePath: await tmp(`validator-${name}`),
        key: devKeypair(name),
        listen: ["/ip4/127.0.0.1/tcp/0"],
        bootnodes: bootnode ? [bootnode] : [],
        nodeKey: generateNodeKey(),
      });
      validators.push(node);
      await node.start();
      bootnode ??= tcp(node.network.listenAddrs());
    }
    for (const name of o.startCollators ?? o.collators ?? ["Alice", "Bob"]) await net.addParaNode({ key: name });
    for (let i = 0; i < (o.fullNodes ?? 0); i++) await net.addParaNode();
    return net;
  } catch (e) {
    await net.close();
    throw e;
  }
}

/** Polls `cond` until it holds, or fails with what was last observed. */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  observe: () => string,
): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last observed: ${observe()}`);
}
