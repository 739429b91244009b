import "@parapipe/primitives/polyfill";
import { readFile } from "node:fs/promises";
import { nodeKeyFromHex } from "@parapipe/network";
import { jsonLinesLogger } from "@parapipe/node";
import { cryptoReady, devKeypair, keypairFromUri, ParapipeError, parseChainSpec, toHex } from "@parapipe/primitives";
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

/** Why the process options are unusable. */
export class CollatorProcessError extends ParapipeError<{ code: "INVALID_OPTIONS"; reason: string }> {}

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

function line(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function fail(reason: string, message: string): never {
  throw new CollatorProcessError({ code: "INVALID_OPTIONS", reason }, message);
}

function parseOptions(): CollatorProcessOptions {
  const raw = process.argv[2] ?? process.env.PARAPIPE_COLLATOR_OPTIONS;
  if (raw === undefined)
    fail(
      "missing",
      "expected the options as JSON in the first argument or in PARAPIPE_COLLATOR_OPTIONS, found neither",
    );
  let o: Partial<CollatorProcessOptions>;
  try {
    o = JSON.parse(raw) as Partial<CollatorProcessOptions>;
  } catch (e) {
    fail(
      "not JSON",
      `expected the options as JSON, found unparsable text: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  for (const field of ["paraSpec", "relaySpec", "basePath"] as const)
    if (typeof o[field] !== "string")
      fail(`${field} missing`, `expected "${field}" to be a string, found ${typeof o[field]}`);
  for (const field of ["listen", "relayListen"] as const)
    if (!Array.isArray(o[field]) || o[field].length === 0)
      fail(`${field} missing`, `expected "${field}" to be a non-empty list of multiaddrs`);
  return o as CollatorProcessOptions;
}

const segmentLines = (n: CollatorNode): SegmentLine[] =>
  n.segment.entries().map((e) => ({
    number: e.number,
    hash: toHex(e.hash),
    status: e.status,
    relayParent: e.relayParentNumber,
  }));

async function main(): Promise<void> {
  let node: CollatorNode | undefined;
  let timer: NodeJS.Timeout | undefined;
  const log = jsonLinesLogger(process.env.LOG_LEVEL);
  try {
    const o = parseOptions();
    await cryptoReady();
    const paraSpec = parseChainSpec(JSON.parse(await readFile(o.paraSpec, "utf8")));
    const relaySpec = parseChainSpec(JSON.parse(await readFile(o.relaySpec, "utf8")));
    const key =
      o.key === undefined
        ? undefined
        : o.key.startsWith("//") || o.key.startsWith("0x")
          ? keypairFromUri(o.key)
          : devKeypair(o.key);
    node = await CollatorNode.init(
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
      { logger: log },
    );
    const reloaded = segmentLines(node);
    await node.start();
    const n = node;
    line({
      ready: true,
      peerId: n.network.peerId,
      addrs: n.network.listenAddrs(),
      relayPeerId: n.relay.network.peerId,
      relayAddrs: n.relay.network.listenAddrs(),
      relayBest: n.relay.chain.best.number,
      segment: reloaded,
    });
    const status = (): CollatorStatusLine => ({
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
    });
    timer = setInterval(() => line(status()), o.statusIntervalMs ?? 1000);
  } catch (e) {
    const error =
      e instanceof ParapipeError
        ? e.toObject()
        : { name: (e as Error)?.name, message: (e as Error)?.message ?? String(e) };
    line({ ready: false, error });
    await node?.close().catch(() => {});
    process.exit(1);
  }
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    clearInterval(timer);
    log.info({ signal }, "Shutting down");
    try {
      await node?.close();
      line({ closed: true });
      process.exit(0);
    } catch (e) {
      log.error({ err: e }, "Close failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

void main();
