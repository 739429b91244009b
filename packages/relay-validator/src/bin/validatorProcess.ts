import "@parapipe/primitives/polyfill";
import { readFile } from "node:fs/promises";
import { nodeKeyFromHex } from "@parapipe/network";
import { jsonLinesLogger } from "@parapipe/node";
import { cryptoReady, devKeypair, keypairFromUri, ParapipeError, parseChainSpec, toHex } from "@parapipe/primitives";
import { RelayValidatorNode, type RelayValidatorOptions } from "../node.js";

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

/** Why the process options are unusable. */
export class ValidatorProcessError extends ParapipeError<{ code: "INVALID_OPTIONS"; reason: string }> {}

/** One status line. */
export interface ValidatorStatusLine {
  best: number;
  bestHash: string;
  finalized: number;
  authored: number;
  imported: number;
  peers: number;
}

function line(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function parseOptions(): ValidatorProcessOptions {
  const raw = process.argv[2] ?? process.env.PARAPIPE_VALIDATOR_OPTIONS;
  if (raw === undefined)
    throw new ValidatorProcessError(
      { code: "INVALID_OPTIONS", reason: "missing" },
      "expected the options as JSON in the first argument or in PARAPIPE_VALIDATOR_OPTIONS, found neither",
    );
  let o: Partial<ValidatorProcessOptions>;
  try {
    o = JSON.parse(raw) as Partial<ValidatorProcessOptions>;
  } catch (e) {
    throw new ValidatorProcessError(
      { code: "INVALID_OPTIONS", reason: "not JSON" },
      `expected the options as JSON, found unparsable text: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  for (const field of ["spec", "basePath"] as const)
    if (typeof o[field] !== "string")
      throw new ValidatorProcessError(
        { code: "INVALID_OPTIONS", reason: `${field} missing` },
        `expected "${field}" to be a string, found ${typeof o[field]}`,
      );
  if (!Array.isArray(o.listen) || o.listen.length === 0)
    throw new ValidatorProcessError(
      { code: "INVALID_OPTIONS", reason: "listen missing" },
      'expected "listen" to be a non-empty list of multiaddrs',
    );
  return o as ValidatorProcessOptions;
}

async function main(): Promise<void> {
  let node: RelayValidatorNode | undefined;
  let timer: NodeJS.Timeout | undefined;
  const log = jsonLinesLogger(process.env.LOG_LEVEL);
  try {
    const o = parseOptions();
    await cryptoReady();
    const spec = parseChainSpec(JSON.parse(await readFile(o.spec, "utf8")));
    const key =
      o.key === undefined
        ? undefined
        : o.key.startsWith("//") || o.key.startsWith("0x")
          ? keypairFromUri(o.key)
          : devKeypair(o.key);
    const opts: RelayValidatorOptions = {
      spec,
      basePath: o.basePath,
      key,
      listen: o.listen,
      bootnodes: o.bootnodes ?? [],
      nodeKey: o.nodeKey === undefined ? undefined : nodeKeyFromHex(o.nodeKey),
      pvfWorkers: o.pvfWorkers,
    };
    node = await RelayValidatorNode.init(opts, { logger: log });
    await node.start();
    const n = node;
    line({
      ready: true,
      peerId: n.network.peerId,
      addrs: n.network.listenAddrs(),
      best: n.best.number,
      finalized: n.finalized.number,
    });
    const status = (): ValidatorStatusLine => ({
      best: n.best.number,
      bestHash: toHex(n.best.hash),
      finalized: n.finalized.number,
      authored: n.stats.authored,
      imported: n.stats.imported,
      peers: n.network.peers().length,
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
