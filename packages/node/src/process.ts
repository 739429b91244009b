import { cryptoReady, devKeypair, keypairFromUri, ParapipeError, type Sr25519Keypair } from "@parapipe/primitives";
import type { Logger } from "./interface.js";

/** Why a per-process node's options are unusable. */
export class NodeProcessError extends ParapipeError<{ code: "INVALID_OPTIONS"; reason: string }> {}

function invalid(reason: string, message: string): never {
  throw new NodeProcessError({ code: "INVALID_OPTIONS", reason }, message);
}

/**
 * The options of a per-process node: JSON in the first argument or in the environment variable `envVar` (or
 * `raw`), an
 * object whose `strings` fields are strings and whose `lists` fields are non-empty arrays (`NodeProcessError`
 * `INVALID_OPTIONS` otherwise).
 */
export function readProcessOptions<T>(
  envVar: string,
  required: { strings: string[]; lists: string[] },
  raw: string | undefined = process.argv[2] ?? process.env[envVar],
): T {
  if (raw === undefined)
    invalid("missing", `expected the options as JSON in the first argument or in ${envVar}, found neither`);
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(raw) as Record<string, unknown>;
  } catch (e) {
    invalid(
      "not JSON",
      `expected the options as JSON, found unparsable text: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (typeof o !== "object" || o === null) invalid("not an object", "expected the options to be a JSON object");
  for (const field of required.strings)
    if (typeof o[field] !== "string")
      invalid(`${field} missing`, `expected "${field}" to be a string, found ${typeof o[field]}`);
  for (const field of required.lists)
    if (!Array.isArray(o[field]) || o[field].length === 0)
      invalid(`${field} missing`, `expected "${field}" to be a non-empty list of multiaddrs`);
  return o as T;
}

/** A key given as a dev account name (`"Alice"`) or a secret URI (`"//Alice"`, a 0x seed). */
export function keyFromOption(key: string | undefined): Sr25519Keypair | undefined {
  if (key === undefined) return undefined;
  return key.startsWith("//") || key.startsWith("0x") ? keypairFromUri(key) : devKeypair(key);
}

/** What a per-process node entry point starts. */
export interface StartedProcessNode {
  node: { close(): Promise<void> };
  /** Printed once as `{"ready": true, ...ready}`. */
  ready: Record<string, unknown>;
  /** Printed every `statusIntervalMs` (default 1000). */
  status: () => unknown;
  statusIntervalMs?: number;
}

function line(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/**
 * Runs one node in this process for tests that kill nodes for real. `start` opens the node (passing it to
 * `opened` as soon as it exists, so a failed start still closes it), starts it and says what to print. stdout carries one JSON object per line:
 * `{"ready": true, ...}` once started (or `{"ready": false, "error": {...}}` and exit code 1 when it cannot
 * start), then a status line every `statusIntervalMs`, and `{"closed": true}` after SIGTERM or SIGINT closed
 * the node (exit code 0).
 */
export async function runProcessNode(
  log: Logger,
  start: (opened: (node: { close(): Promise<void> }) => void) => Promise<StartedProcessNode>,
): Promise<void> {
  let node: { close(): Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await cryptoReady();
    const started = await start((n) => {
      node = n;
    });
    node = started.node;
    line({ ready: true, ...started.ready });
    timer = setInterval(() => line(started.status()), started.statusIntervalMs ?? 1000);
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
