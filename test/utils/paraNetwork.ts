/**
 * A relay chain with a parachain, in-process on loopback: relay validators (`RelayValidatorNode`), collators
 * and para full nodes (`CollatorNode`), each with its own temp base path. A thin view of the harness's
 * `startNetwork({processes: false})` that hands out the node objects the integration tests assert on. `close()`
 * stops every node and removes every directory, also when a test failed half way.
 */
import type { CollatorNode } from "@parapipe/collator";
import { type ParaNodeHandle, startNetwork } from "@parapipe/harness";
import type { ChainSpec } from "@parapipe/primitives";
import type { RelayValidatorNode } from "@parapipe/relay-validator";
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
  addParaNode(o?: { key?: string }): Promise<CollatorNode>;
  /** Stops one para node (it stays in the lists, closed). */
  stopParaNode(node: CollatorNode): Promise<void>;
  /** Every para node (collators, full nodes), open or not. */
  paraNodes(): CollatorNode[];
  close(): Promise<void>;
}

export async function startParaNetwork(o: ParaNetworkOptions): Promise<ParaNetwork> {
  const specs = devChainSpecs({
    mode: o.mode,
    relaySlotMs: o.relaySlotMs,
    ...(o.validators ? { validators: o.validators } : {}),
    ...(o.collators ? { collators: o.collators } : {}),
  });
  const net = await startNetwork({
    mode: o.mode,
    relaySlotMs: o.relaySlotMs,
    specs,
    validators: o.validators ?? ["Alice", "Bob", "Charlie", "Dave"],
    collators: o.startCollators ?? o.collators ?? ["Alice", "Bob"],
    fullNodes: o.fullNodes ?? 0,
  });
  const handles = new Map<CollatorNode, ParaNodeHandle>();
  const nodeOf = (h: ParaNodeHandle) => {
    handles.set(h.node!, h);
    return h.node!;
  };
  const collators = net.collators.map(nodeOf);
  const fullNodes = net.fullNodes.map(nodeOf);
  return {
    specs,
    validators: net.validators.map((h) => h.node!),
    collators,
    fullNodes,
    async addParaNode(a = {}) {
      const node = nodeOf(await net.addParaNode(a.key ? { collator: a.key } : {}));
      (a.key ? collators : fullNodes).push(node);
      return node;
    },
    async stopParaNode(node) {
      await handles.get(node)?.stop();
    },
    paraNodes: () => [...collators, ...fullNodes],
    close: () => net.close(),
  };
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
