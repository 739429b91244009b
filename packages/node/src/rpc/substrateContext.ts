/**
 * What the Substrate method groups share: the backend, block resolution with Substrate's unknown-block answer,
 * state reads and runtime calls at a block, Header JSON, and per-subscription ordering.
 */
import { decodeExact, Trie, toHex } from "@parapipe/primitives";
import type { BlockInfo, Logger } from "../interface.js";
import { SerialQueue } from "../util.js";
import { RpcError } from "./errors.js";
import type { SubscriptionSink } from "./server.js";
import type { RuntimeApiBlock, RuntimeRpcApi, SubstrateRpcBackend } from "./substrate.js";
import { SUBSTRATE_RPC_ERROR_CODES } from "./substrateErrors.js";

/** A header as Substrate serialises it (`sp_runtime::generic::Header`): number in hex, digest items as SCALE hex. */
export interface HeaderJson {
  parentHash: string;
  number: string;
  stateRoot: string;
  extrinsicsRoot: string;
  digest: { logs: string[] };
}

/** The header fields read from the registry's `Header` codec. */
interface CodecHeader {
  parentHash: { toHex(): string };
  number: { toNumber(): number };
  stateRoot: { toHex(): string };
  extrinsicsRoot: { toHex(): string };
  digest: { logs: Array<{ toHex(): string }> };
}

/** The backend plus the helpers every method group uses. */
export class SubstrateRpcContext {
  /** The best block number when the methods were registered (`system_syncState.startingBlock`). */
  readonly startingBlock: number;

  constructor(
    readonly backend: SubstrateRpcBackend,
    readonly logger: Logger,
  ) {
    this.startingBlock = backend.chain.best.number;
  }

  get chain(): SubstrateRpcBackend["chain"] {
    return this.backend.chain;
  }

  /** Header JSON of a SCALE header. */
  headerJson(bytes: Uint8Array): HeaderJson {
    const h = decodeExact(this.backend.registry, "Header", bytes) as unknown as CodecHeader;
    return {
      parentHash: h.parentHash.toHex(),
      number: `0x${h.number.toNumber().toString(16)}`,
      stateRoot: h.stateRoot.toHex(),
      extrinsicsRoot: h.extrinsicsRoot.toHex(),
      digest: { logs: h.digest.logs.map((l) => l.toHex()) },
    };
  }

  /** Header JSON of a stored block, or undefined for an unknown one. */
  async headerJsonOf(hash: Uint8Array): Promise<HeaderJson | undefined> {
    const header = await this.chain.header(hash);
    return header === undefined ? undefined : this.headerJson(header);
  }

  /**
   * The block a `state_*` call reads (`hash`, or the best block when absent). An unknown hash is answered as
   * Substrate answers it: 4003 "Client error: UnknownBlock: Header was not found in the database: 0x…".
   */
  async stateBlock(hash: Uint8Array | undefined): Promise<BlockInfo> {
    if (hash === undefined) return this.chain.best;
    const info = await this.chain.blockInfo(hash);
    if (info === undefined) throw unknownBlockError(hash);
    return info;
  }

  /** The value under `key` in the state of `at`. */
  storage(at: BlockInfo, key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.chain.withState((store) => new Trie(store, at.stateRoot).get(key));
  }

  /** The values under `keys` in the state of `at`, in order. */
  storageMany(at: BlockInfo, keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    return this.chain.withState((store) => {
      const trie = new Trie(store, at.stateRoot);
      return keys.map((k) => trie.get(k));
    });
  }

  /**
   * Runs `fn` with the runtime of `at` over its state. Errors are thrown as they come (the caller maps them:
   * `stateCallError` for `state_*`).
   */
  runtimeAt<T>(at: BlockInfo, fn: (api: RuntimeRpcApi, block: RuntimeApiBlock) => T): Promise<T> {
    return this.chain.withState((store) => {
      const block = { store, hash: at.hash, number: at.number, stateRoot: at.stateRoot };
      return fn(this.backend.runtimeApi(block), block);
    });
  }

  /** `runtimeAt` for a `state_*` method: the block resolved from `hash`, failures as 4003 "Client error: …". */
  async stateRuntime<T>(
    hash: Uint8Array | undefined,
    fn: (api: RuntimeRpcApi, block: RuntimeApiBlock) => T,
    method?: string,
  ): Promise<T> {
    const at = await this.stateBlock(hash);
    try {
      return await this.runtimeAt(at, fn);
    } catch (err) {
      throw stateCallError(err, method);
    }
  }
}

/** Substrate's answer for a `state_*` call at a block it does not have. */
export function unknownBlockError(hash: Uint8Array): RpcError {
  return new RpcError(
    SUBSTRATE_RPC_ERROR_CODES.STATE_CLIENT,
    `Client error: UnknownBlock: Header was not found in the database: ${toHex(hash)}`,
  );
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A failed runtime call as Substrate's state API answers it (4003 "Client error: Execution failed: …"; an
 * unknown runtime API method reads as the executor's "Exported method X is not found").
 */
export function stateCallError(err: unknown, method?: string): RpcError {
  if (err instanceof RpcError) return err;
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  const message = errorMessage(err);
  let text: string;
  if (code === "UNKNOWN_METHOD")
    text = `Execution failed: Other: Exported method ${method ?? "(unknown)"} is not found`;
  else if (code === "BAD_ARGUMENTS" || code === "EXECUTION_FAILED") text = `Execution failed: ${message}`;
  else text = message;
  return new RpcError(SUBSTRATE_RPC_ERROR_CODES.STATE_CLIENT, `Client error: ${text}`);
}

/**
 * Sends a subscription's notifications one after the other, in the order they were queued, though each is
 * computed asynchronously (header or storage reads); stops once the subscription is closed. A failing step is
 * logged and skipped.
 */
export class NotificationQueue {
  private readonly queue = new SerialQueue();

  constructor(
    private readonly sink: SubscriptionSink,
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  /** Queues `step`; whatever it resolves to (unless undefined) is sent. */
  push(step: () => Promise<unknown>): void {
    void this.queue
      .run(async () => {
        if (this.sink.closed) return;
        const result = await step();
        if (result !== undefined && !this.sink.closed) this.sink.send(result);
      })
      .catch((err: unknown) => this.logger.debug({ err, subscription: this.what }, "Notification not sent"));
  }
}
