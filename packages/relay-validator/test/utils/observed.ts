/**
 * Validators started like `startRelayValidators` (node 0 the others' bootnode), each with a logger that
 * records its gossip verdicts (code, topic, sender, reason) so a test can say WHY a message was REJECTed,
 * and who sent it. Logs also go to stderr when `LOG_LEVEL` is set.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateNodeKey } from "@parapipe/network";
import type { Logger } from "@parapipe/node";
import { type ChainSpec, devKeypair } from "@parapipe/primitives";
import { RelayValidatorNode } from "../../src/node.js";
import type { TestRelayNetwork } from "./network.js";

/** One non-ACCEPT gossip verdict a validator logged. */
export interface VerdictEntry {
  /** Index of the validator that gave the verdict. */
  node: number;
  action: "REJECT" | "IGNORE";
  topic: string;
  from: string;
  code: string;
  reason: string;
  at: number;
}

const LEVELS = ["debug", "info", "warn", "error"] as const;

/** A logger recording the verdict adapter's `Gossip message REJECT|IGNORE` lines into `entries`. */
export function verdictLogger(node: number, entries: VerdictEntry[], name: string): Logger {
  const level = process.env.LOG_LEVEL;
  const min = level === undefined ? LEVELS.length : LEVELS.indexOf(level as (typeof LEVELS)[number]);
  const make =
    (l: (typeof LEVELS)[number]) =>
    (obj: Record<string, unknown>, msg: string): void => {
      const m = /^Gossip message (REJECT|IGNORE)$/.exec(msg);
      if (m)
        entries.push({
          node,
          action: m[1] as "REJECT" | "IGNORE",
          topic: String(obj.topic),
          from: String(obj.from),
          code: String(obj.code),
          reason: String(obj.reason),
          at: Date.now(),
        });
      if (min >= 0 && LEVELS.indexOf(l) >= min)
        console.error(`[${name}] ${l} ${msg} ${JSON.stringify(obj, (_k, v) => (typeof v === "bigint" ? `${v}` : v))}`);
    };
  const logger: Logger = {
    debug: make("debug"),
    info: make("info"),
    warn: make("warn"),
    error: make("error"),
    child: () => logger,
  };
  return logger;
}

/** `startRelayValidators` with verdict-recording loggers; the verdicts land in `entries`. */
export async function startObservedRelayValidators(
  spec: ChainSpec,
  names: string[],
  entries: VerdictEntry[],
): Promise<TestRelayNetwork> {
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
    for (const [i, name] of names.entries()) {
      const dir = await mkdtemp(join(tmpdir(), `parapipe-rv-${name}-`));
      dirs.push(dir);
      const node = await RelayValidatorNode.init(
        {
          spec,
          basePath: dir,
          key: devKeypair(name),
          listen: ["/ip4/127.0.0.1/tcp/0"],
          bootnodes: bootnode ? [bootnode] : [],
          nodeKey: generateNodeKey(),
        },
        { logger: verdictLogger(i, entries, name) },
      );
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
