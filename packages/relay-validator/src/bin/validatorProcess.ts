import "@parapipe/primitives/polyfill";
import { readFile } from "node:fs/promises";
import { nodeKeyFromHex } from "@parapipe/network";
import { jsonLinesLogger, keyFromOption, readProcessOptions, runProcessNode } from "@parapipe/node";
import { parseChainSpec, toHex } from "@parapipe/primitives";
import { RelayValidatorNode } from "../node.js";

/**
 * One relay validator in its own process, for tests that must kill a node for real (SIGKILL) and restart it
 * on its database. Options come as JSON in the first argument or in `PARAPIPE_VALIDATOR_OPTIONS`.
 *
 * stdout carries one JSON object per line: `{"ready": true, "peerId", "addrs", "best", "finalized"}` once
 * the node is started (or `{"ready": false, "error": {...}}` and exit code 1 when it cannot start), then a
 * status line `{"best", "finalized", "authored", ...}` every `statusIntervalMs`, and `{"closed": true}` after
 * SIGTERM or SIGINT closed the node. Logs go to stderr as JSON lines when `LOG_LEVEL` is set.
 */
export interface ValidatorProcessOptions {
  /** Path of the chain spec JSON (`chainSpecToJson(spec)`). */
  spec: string;
  /** Base path: `<basePath>/db`, `<basePath>/network/secret_ed25519`. */
  basePath: string;
  /** Session key: a dev account name (`"Dave"`) or a secret URI (`"//Dave"`, a 0x seed). */
  key?: string;
  /** Listen multiaddrs, e.g. `/ip4/127.0.0.1/tcp/30333` (a fixed port, so a restarted node is where it was). */
  listen: string[];
  bootnodes?: string[];
  /** The libp2p node key as 64 hex digits (else the one in the base path, created on first start). */
  nodeKey?: string;
  /** Default 1000. */
  statusIntervalMs?: number;
  pvfWorkers?: number;
}

/** One status line. */
export interface ValidatorStatusLine {
  best: number;
  bestHash: string;
  finalized: number;
  authored: number;
  imported: number;
  peers: number;
}

void runProcessNode(jsonLinesLogger(process.env.LOG_LEVEL), async (opened) => {
  const o = readProcessOptions<ValidatorProcessOptions>("PARAPIPE_VALIDATOR_OPTIONS", {
    strings: ["spec", "basePath"],
    lists: ["listen"],
  });
  const spec = parseChainSpec(JSON.parse(await readFile(o.spec, "utf8")));
  const key = keyFromOption(o.key);
  const n = await RelayValidatorNode.init(
    {
      spec,
      basePath: o.basePath,
      ...(key ? { key } : {}),
      listen: o.listen,
      bootnodes: o.bootnodes ?? [],
      ...(o.nodeKey === undefined ? {} : { nodeKey: nodeKeyFromHex(o.nodeKey) }),
      ...(o.pvfWorkers === undefined ? {} : { pvfWorkers: o.pvfWorkers }),
    },
    { logger: jsonLinesLogger(process.env.LOG_LEVEL) },
  );
  opened(n);
  await n.start();
  return {
    node: n,
    ready: {
      peerId: n.network.peerId,
      addrs: n.network.listenAddrs(),
      best: n.best.number,
      finalized: n.finalized.number,
    },
    status: (): ValidatorStatusLine => ({
      best: n.best.number,
      bestHash: toHex(n.best.hash),
      finalized: n.finalized.number,
      authored: n.stats.authored,
      imported: n.stats.imported,
      peers: n.network.peers().length,
    }),
    ...(o.statusIntervalMs === undefined ? {} : { statusIntervalMs: o.statusIntervalMs }),
  };
});
