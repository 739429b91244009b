/**
 * The pipeline section's network, in-process on loopback: 4 relay validators (`RelayValidatorNode`) and 2 collators
 * (`CollatorNode`) on the dev specs of one backing mode and relay slot, each node with its own LevelDB under
 * one base directory. The start-up follows `test/utils/paraNetwork.ts` (copied: a benchmark does not import test
 * code), with one addition: every node gets a counting logger (`NetworkLog`), so the run can report why
 * candidates were refused and why segment blocks were dropped. `close()` stops every node and removes the base
 * directory, also when the start-up failed half way.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { CollatorNode } from "@parapipe/collator";
import { waitUntil } from "@parapipe/harness";
import { generateNodeKey } from "@parapipe/network";
import type { Logger } from "@parapipe/node";
import { type ChainSpec, devKeypair } from "@parapipe/primitives";
import { type RelayValidatorMetrics, RelayValidatorNode } from "@parapipe/relay-validator";
import { type BackingMode, devChainSpecs } from "@parapipe/runtime";

/** Dev names of the relay validators. */
export const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];
/** Dev names of the collators. */
export const COLLATORS = ["Alice", "Bob"];

/** What the nodes logged that a benchmark reports, counted by reason. */
export class NetworkLog {
  /** Validators' "Candidate refused", by `why` (up to its first colon). */
  readonly refusals = new Map<string, number>();
  /** Collators' "Segment block dropped", by reason. */
  readonly dropped = new Map<string, number>();
  /** Collators' "Advertisement declined", by the validator's reason. */
  readonly declined = new Map<string, number>();
  /** Warnings and errors of any node, by message. */
  readonly warnings = new Map<string, number>();

  /** A logger that counts the messages above and discards everything else. */
  logger(): Logger {
    const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    const log: Logger = {
      debug: (obj, msg) => {
        if (msg === "Advertisement declined") bump(this.declined, String(obj["reason"]));
      },
      info: (obj, msg) => {
        if (msg === "Candidate refused") bump(this.refusals, String(obj["why"]).split(":")[0]!);
        else if (msg === "Segment block dropped") bump(this.dropped, String(obj["reason"]));
      },
      warn: (_obj, msg) => bump(this.warnings, msg),
      error: (_obj, msg) => bump(this.warnings, msg),
      child: () => log,
    };
    return log;
  }

  /** Every counter, copied (to diff a window against). */
  snapshot(): NetworkLogCounts {
    const o = (m: Map<string, number>) => Object.fromEntries(m);
    return {
      refusals: o(this.refusals),
      dropped: o(this.dropped),
      declined: o(this.declined),
      warnings: o(this.warnings),
    };
  }
}

/** `NetworkLog` counters as plain objects. */
export interface NetworkLogCounts {
  refusals: Record<string, number>;
  dropped: Record<string, number>;
  declined: Record<string, number>;
  warnings: Record<string, number>;
}

/** A running network. */
export interface PipelineNetwork {
  specs: { relay: ChainSpec; para: ChainSpec };
  validators: RelayValidatorNode[];
  collators: CollatorNode[];
  log: NetworkLog;
  /** Stops every node (collators first) and removes `baseDir`; safe to call twice. */
  close(): Promise<void>;
}

const tcp = (addrs: string[]) => addrs.find((a) => a.includes("/tcp/") && !a.includes("/ws"))!;

/** Starts the validators (the first one is everybody's bootnode), then the collators; every node under `baseDir`. */
export async function startNetwork(o: {
  mode: BackingMode;
  relaySlotMs: number;
  baseDir: string;
  /** Every validator's candidate stages and stage latencies go here. */
  pipelineMetrics?: RelayValidatorMetrics;
}): Promise<PipelineNetwork> {
  const specs = devChainSpecs({ mode: o.mode, relaySlotMs: o.relaySlotMs });
  const log = new NetworkLog();
  const validators: RelayValidatorNode[] = [];
  const collators: CollatorNode[] = [];
  let closed = false;
  const net: PipelineNetwork = {
    specs,
    validators,
    collators,
    log,
    async close() {
      if (closed) return;
      closed = true;
      for (const c of collators.splice(0).reverse()) await c.close().catch(() => {});
      for (const v of validators.splice(0).reverse()) await v.close().catch(() => {});
      await rm(o.baseDir, { recursive: true, force: true });
    },
  };
  const dir = async (name: string) => {
    const d = join(o.baseDir, name);
    await mkdir(d, { recursive: true });
    return d;
  };
  try {
    let bootnode: string | undefined;
    for (const name of VALIDATORS) {
      const node = await RelayValidatorNode.init(
        {
          spec: specs.relay,
          basePath: await dir(`validator-${name}`),
          key: devKeypair(name),
          listen: ["/ip4/127.0.0.1/tcp/0"],
          bootnodes: bootnode ? [bootnode] : [],
          nodeKey: generateNodeKey(),
        },
        { logger: log.logger(), ...(o.pipelineMetrics ? { pipelineMetrics: o.pipelineMetrics } : {}) },
      );
      validators.push(node);
      await node.start();
      bootnode ??= tcp(node.network.listenAddrs());
    }
    for (const name of COLLATORS) {
      const relayBoot = validators.map((v) => tcp(v.network.listenAddrs()));
      const paraBoot = collators.map((c) => tcp(c.network.listenAddrs()));
      const node = await CollatorNode.init(
        {
          paraSpec: specs.para,
          relaySpec: specs.relay,
          basePath: await dir(`collator-${name}`),
          key: devKeypair(name),
          listen: ["/ip4/127.0.0.1/tcp/0"],
          bootnodes: paraBoot,
          nodeKey: generateNodeKey(),
          relay: { listen: ["/ip4/127.0.0.1/tcp/0"], bootnodes: relayBoot, nodeKey: generateNodeKey() },
        },
        { logger: log.logger() },
      );
      collators.push(node);
      await node.start();
    }
    return net;
  } catch (e) {
    await net.close().catch(() => {});
    throw e;
  }
}

/** Polls `cond` every 50 ms until it holds (the harness's `waitUntil`), or fails with what was last observed. */
export function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  observe: () => string,
): Promise<void> {
  return waitUntil(what, async () => ((await cond()) ? true : { done: false, observed: observe() }), {
    timeoutMs,
    intervalMs: 50,
  });
}
