import "@parapipe/primitives/polyfill";
import { readFile } from "node:fs/promises";
import { nodeKeyFromHex } from "@parapipe/network";
import { jsonLinesLogger, keyFromOption, readProcessOptions, runProcessNode } from "@parapipe/node";
import { parseChainSpec, toHex } from "@parapipe/primitives";
import { CollatorNode } from "../node.js";

/**
 * One collator (or para full node) in its own process, for tests that must kill it for real (SIGKILL) and
 * restart it on its database. Options come as JSON in the first argument or in `PARAPIPE_COLLATOR_OPTIONS`.
 *
 * stdout carries one JSON object per line: `{"ready": true, "peerId", "addrs", "relayPeerId", "relayAddrs",
 * "segment"}` once started (`segment`: the unincluded segment reloaded from the database), or
 * `{"ready": false, "error": {...}}` and exit code 1; then a status line (`CollatorStatusLine`) every
 * `statusIntervalMs`; `{"closed": true}` after SIGTERM or SIGINT closed the node. Logs go to stderr as JSON lines
 * when `LOG_LEVEL` is set.
 */
export interface CollatorProcessOptions {
  /** Paths of the para and relay chain specs (`chainSpecToJson(spec)`). */
  paraSpec: string;
  relaySpec: string;
  /** Base path: `<basePath>/db`, `<basePath>/network`, `<basePath>/relay/...`. */
  basePath: string;
  /** Collator key: a dev name (`"Alice"`) or a secret URI (`"//Alice"`, a 0x seed); none for a full node. */
  key?: string;
  listen: string[];
  bootnodes?: string[];
  relayListen: string[];
  relayBootnodes?: string[];
  /** libp2p node keys as 64 hex digits (else the ones in the base path, created on first start). */
  nodeKey?: string;
  relayNodeKey?: string;
  /** Default 1000. */
  statusIntervalMs?: number;
}

/** One segment entry as reported. */
export interface SegmentLine {
  number: number;
  hash: string;
  status: string;
  relayParent: number;
}

/** One status line. */
export interface CollatorStatusLine {
  best: number;
  bestHash: string;
  finalized: number;
  relayBest: number;
  included?: number;
  built: number;
  stats: CollatorNode["stats"];
  segment: SegmentLine[];
  peers: number;
  relayPeers: number;
}

const segmentLines = (n: CollatorNode): SegmentLine[] =>
  n.segment.entries().map((e) => ({
    number: e.number,
    hash: toHex(e.hash),
    status: e.status,
    relayParent: e.relayParentNumber,
  }));

void runProcessNode(jsonLinesLogger(process.env.LOG_LEVEL), async (opened) => {
  const o = readProcessOptions<CollatorProcessOptions>("PARAPIPE_COLLATOR_OPTIONS", {
    strings: ["paraSpec", "relaySpec", "basePath"],
    lists: ["listen", "relayListen"],
  });
  const paraSpec = parseChainSpec(JSON.parse(await readFile(o.paraSpec, "utf8")));
  const relaySpec = parseChainSpec(JSON.parse(await readFile(o.relaySpec, "utf8")));
  const key = keyFromOption(o.key);
  const n = await CollatorNode.init(
    {
      paraSpec,
      relaySpec,
      basePath: o.basePath,
      ...(key ? { key } : {}),
      listen: o.listen,
      bootnodes: o.bootnodes ?? [],
      ...(o.nodeKey ? { nodeKey: nodeKeyFromHex(o.nodeKey) } : {}),
      relay: {
        listen: o.relayListen,
        bootnodes: o.relayBootnodes ?? [],
        ...(o.relayNodeKey ? { nodeKey: nodeKeyFromHex(o.relayNodeKey) } : {}),
      },
    },
    { logger: jsonLinesLogger(process.env.LOG_LEVEL) },
  );
  opened(n);
  const reloaded = segmentLines(n);
  await n.start();
  return {
    node: n,
    ready: {
      peerId: n.network.peerId,
      addrs: n.network.listenAddrs(),
      relayPeerId: n.relay.network.peerId,
      relayAddrs: n.relay.network.listenAddrs(),
      relayBest: n.relay.chain.best.number,
      segment: reloaded,
    },
    status: (): CollatorStatusLine => ({
      best: n.best.number,
      bestHash: toHex(n.best.hash),
      finalized: n.finalized.number,
      relayBest: n.relay.chain.best.number,
      ...(n.relayView ? { included: n.relayView.includedNumber } : {}),
      built: n.stats.built,
      stats: n.stats,
      segment: segmentLines(n),
      peers: n.network.peers().length,
      relayPeers: n.relay.network.peers().length,
    }),
    ...(o.statusIntervalMs === undefined ? {} : { statusIntervalMs: o.statusIntervalMs }),
  };
});
