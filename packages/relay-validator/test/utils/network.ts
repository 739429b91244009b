import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateNodeKey } from "@parapipe/network";
import { type ChainSpec, devKeypair } from "@parapipe/primitives";
import { devRelaySpec } from "@parapipe/runtime";
import { RelayValidatorNode } from "../../src/node.js";

/** A relay spec for tests: dev validators, scaled slots, async or sync params, para 2000 registered. */
export function relaySpec(o: {
  validators: string[];
  slotMs: number;
  mode: "async" | "sync";
  para?: { id: number; genesisHead: Uint8Array; code: Uint8Array };
  minimumBackingVotes?: number;
  availabilityPeriod?: number;
}): ChainSpec {
  return devRelaySpec({
    mode: o.mode,
    relaySlotMs: o.slotMs,
    validators: o.validators,
    paras: o.para ? [o.para] : [],
    ...(o.minimumBackingVotes === undefined ? {} : { minimumBackingVotes: o.minimumBackingVotes }),
    ...(o.availabilityPeriod === undefined ? {} : { availabilityPeriod: o.availabilityPeriod }),
  });
}

/** A running set of relay validators on loopback, each with its own temp base path. */
export interface TestRelayNetwork {
  nodes: RelayValidatorNode[];
  dirs: string[];
  /** Stops every node and removes every directory (safe to call twice). */
  close(): Promise<void>;
}

/** Starts `names.length` validators (node 0 is the others' bootnode). */
export async function startRelayValidators(spec: ChainSpec, names: string[]): Promise<TestRelayNetwork> {
  const nodes: RelayValidatorNode[] = [];
  const dirs: string[] = [];
  const net: TestRelayNetwork = {
    nodes,
    dirs,
    async close() {
      for (const n of nodes.splice(0)) await n.close().catch(() => {});
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
  try {
    let bootnode: string | undefined;
    for (const name of names) {
      const dir = await mkdtemp(join(tmpdir(), `parapipe-rv-${name}-`));
      dirs.push(dir);
      const node = await RelayValidatorNode.init({
        spec,
        basePath: dir,
        key: devKeypair(name),
        listen: ["/ip4/127.0.0.1/tcp/0"],
        bootnodes: bootnode ? [bootnode] : [],
        nodeKey: generateNodeKey(),
      });
      nodes.push(node);
      await node.start();
      bootnode ??= node.network.listenAddrs().find((a) => a.includes("/tcp/") && !a.includes("/ws"));
    }
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
