/**
 * `author_*` (polkadot-sdk `substrate/client/rpc-api/src/author/{mod,error}.rs`, `client/rpc/src/author/mod.rs`):
 * transaction submission and watching through the node's pool, and the keystore methods. Pool refusals are
 * answered with Substrate's codes (1010 invalid with the runtime's reason, 1013 already imported …).
 */
import { blake2_256, ParapipeError, toHex } from "@parapipe/primitives";
import { PoolError } from "../errors.js";
import type { TxStatus } from "../txPool/txPool.js";
import { RpcError } from "./errors.js";
import { bytesParam, describe, hashParam, positional, required, stringParam } from "./params.js";
import type { RpcServer } from "./server.js";
import type { SubstrateRpcKeystore, SubstrateRpcPool } from "./substrate.js";
import { errorMessage, type SubstrateRpcContext } from "./substrateContext.js";
import { SUBSTRATE_RPC_ERROR_CODES as CODES } from "./substrateErrors.js";

/** `author_extrinsicUpdate` results (Substrate's `TransactionStatus` serialisation). */
export type ExtrinsicStatusJson =
  | "future"
  | "ready"
  | "dropped"
  | "invalid"
  | { broadcast: string[] }
  | { inBlock: string }
  | { retracted: string }
  | { finalized: string }
  | { usurped: string };

/** Registers the `author_*` methods and the `author_submitAndWatchExtrinsic` subscription. */
export function registerAuthorRpc(server: RpcServer, ctx: SubstrateRpcContext): void {
  server.register("author_submitExtrinsic", async (params) => {
    const tx = bytesParam(positional(params, ["extrinsic"])[0], "extrinsic");
    // Upstream answers bytes that do not decode here as a client error (1040 "Client error: …"), and the same
    // bytes in `author_submitAndWatchExtrinsic` as BadFormat (1001): both kept (sc-rpc `author/mod.rs`).
    const problem = formatProblem(tx);
    if (problem !== undefined) throw new RpcError(CODES.AUTHOR_OTHER, `Client error: ${problem}`);
    await submit(ctx, tx, "submit");
    return toHex(blake2_256(tx));
  });

  server.registerSubscription(
    {
      subscribe: "author_submitAndWatchExtrinsic",
      unsubscribe: "author_unwatchExtrinsic",
      notification: "author_extrinsicUpdate",
    },
    async (params, sink) => {
      const tx = bytesParam(positional(params, ["bytes"])[0], "bytes");
      const problem = formatProblem(tx);
      if (problem !== undefined) throw badFormat(problem);
      const pool = requirePool(ctx);
      // Watching starts before submitting, so the first status (ready/future, reported during the submission)
      // is seen; the server holds notifications until the client has the subscription id.
      const unwatch = pool.watch(blake2_256(tx), (status) => {
        sink.send(statusJson(status));
        // Final statuses end the subscription, as the pool's watcher stream ends upstream.
        if (status.type === "finalized" || status.type === "dropped" || status.type === "invalid") sink.close();
      });
      try {
        await submit(ctx, tx, "watch");
      } catch (err) {
        unwatch();
        throw err;
      }
      return unwatch;
    },
  );

  server.register("author_pendingExtrinsics", () => [...requirePool(ctx).ready()].map((t) => toHex(t.bytes)));

  server.register(
    "author_removeExtrinsic",
    async (params) => {
      const pool = requirePool(ctx);
      const list = required(positional(params, ["bytes_or_hash"])[0], "bytes_or_hash");
      if (!Array.isArray(list))
        throw RpcError.invalidParams(
          `bytes_or_hash: expected an array of {"hash": …} or {"extrinsic": …}, got ${describe(list)}`,
        );
      const hashes = list.map((item, i) => extrinsicOrHash(item, `bytes_or_hash[${i}]`));
      const removed: string[] = [];
      for (const hash of hashes) {
        if (pool.get(hash) === undefined) continue;
        // Upstream reports them invalid to the pool (`report_invalid`): watchers hear `invalid`.
        await pool.reportInvalid(
          hash,
          new ParapipeError({ code: "REMOVED_BY_RPC" }, "removed by author_removeExtrinsic"),
        );
        removed.push(toHex(hash));
      }
      return removed;
    },
    { unsafe: true },
  );

  server.register(
    "author_insertKey",
    async (params) => {
      const [rawType, rawSuri, rawPublic] = positional(params, ["key_type", "suri", "public"]);
      const keyType = keyTypeParam(rawType);
      const suri = stringParam(rawSuri, "suri");
      const publicKey = bytesParam(rawPublic, "public");
      const keystore = requireKeystore(ctx);
      try {
        await keystore.insertKey(keyType, suri, publicKey);
      } catch {
        throw keystoreUnavailable();
      }
      return null;
    },
    { unsafe: true },
  );

  server.register("author_rotateKeys", async () => toHex(await keystoreCall(() => requireKeystore(ctx).rotateKeys())), {
    unsafe: true,
  });

  server.register(
    "author_hasKey",
    async (params) => {
      const [rawPublic, rawType] = positional(params, ["public_key", "key_type"]);
      const publicKey = bytesParam(rawPublic, "public_key");
      const keyType = keyTypeParam(rawType);
      return keystoreCall(() => requireKeystore(ctx).hasKey(publicKey, keyType));
    },
    { unsafe: true },
  );

  server.register(
    "author_hasSessionKeys",
    async (params) => {
      const keys = bytesParam(positional(params, ["session_keys"])[0], "session_keys");
      return keystoreCall(() => requireKeystore(ctx).hasSessionKeys(keys));
    },
    { unsafe: true },
  );
}

/** Submits through the node's submission path (pool + gossip) or the pool; refusals as Substrate's errors. */
async function submit(ctx: SubstrateRpcContext, tx: Uint8Array, variant: "submit" | "watch"): Promise<void> {
  const backend = ctx.backend;
  const pool = backend.pool;
  const send = backend.submit?.bind(backend) ?? (pool === undefined ? undefined : (t: Uint8Array) => pool.submit(t));
  if (send === undefined) throw noPool();
  try {
    await send(tx);
  } catch (err) {
    throw poolRpcError(ctx, err, variant);
  }
}

/** A pool status as `author_extrinsicUpdate` sends it. */
export function statusJson(s: TxStatus): ExtrinsicStatusJson {
  switch (s.type) {
    case "ready":
    case "future":
      return s.type;
    case "inBlock":
      return { inBlock: toHex(s.block) };
    case "retracted":
      return { retracted: toHex(s.block) };
    case "finalized":
      return { finalized: toHex(s.block) };
    case "dropped":
      return s.reason === "usurped" && s.by !== undefined ? { usurped: toHex(s.by) } : "dropped";
    case "invalid":
      return "invalid";
  }
}

/** The runtime's `TransactionValidityError` as the runtime package shapes it (read structurally). */
interface ValidityShape {
  kind?: string;
  reason?: string;
  custom?: number;
}

/** A pool refusal (or another submission failure) as Substrate's author API answers it (`author/error.rs`). */
function poolRpcError(ctx: SubstrateRpcContext, err: unknown, variant: "submit" | "watch"): RpcError {
  if (err instanceof RpcError) return err;
  if (!(err instanceof PoolError)) {
    // Anything but a pool verdict is upstream's `Error::Verification`.
    const message = errorMessage(err);
    return new RpcError(CODES.AUTHOR_VERIFICATION, `Verification Error: ${message}`, message);
  }
  const t = err.type;
  switch (t.code) {
    case "ALREADY_IMPORTED":
      return new RpcError(CODES.POOL_ALREADY_IMPORTED, "Transaction Already Imported", t.hash);
    case "TOO_LOW_PRIORITY":
      // Upstream prints `(old vs new)`; the pool's error carries the priority to beat, not the new one.
      return new RpcError(
        CODES.POOL_TOO_LOW_PRIORITY,
        `Priority is too low: (${t.priority} vs not above it)`,
        "The transaction has too low priority to replace another transaction already in the pool.",
      );
    case "POOL_FULL":
    case "TOO_LARGE":
      return new RpcError(
        CODES.POOL_IMMEDIATELY_DROPPED,
        "Immediately Dropped",
        "The transaction couldn't enter the pool because of the limit",
      );
    case "POOL_CLOSED":
      return new RpcError(CODES.AUTHOR_OTHER, `Transaction pool error: ${err.message}`);
    case "INVALID_TRANSACTION": {
      const reason = t.reason;
      const described = ctx.backend.describeInvalid?.(reason);
      if (typeof described === "object") return new RpcError(described.code, described.message, described.data);
      const text = described ?? reason.message;
      const v = (reason.type as { error?: ValidityShape }).error ?? {};
      if (v.kind === "Undecodable")
        return variant === "watch" ? badFormat(text) : new RpcError(CODES.AUTHOR_OTHER, `Client error: ${text}`);
      if (v.kind === "Unknown") return new RpcError(CODES.POOL_UNKNOWN_VALIDITY, "Unknown Transaction Validity", text);
      if (v.kind === "Invalid" && v.reason === "Custom" && v.custom !== undefined)
        return new RpcError(CODES.POOL_INVALID_TX, "Invalid Transaction", `Custom error: ${v.custom}`);
      return new RpcError(CODES.POOL_INVALID_TX, "Invalid Transaction", text);
    }
  }
}

function badFormat(detail: string): RpcError {
  return new RpcError(CODES.AUTHOR_BAD_FORMAT, `Extrinsic has invalid format: ${detail}`);
}

function noPool(): RpcError {
  return new RpcError(CODES.AUTHOR_OTHER, "Transaction pool error: this node has no transaction pool");
}

function requirePool(ctx: SubstrateRpcContext): SubstrateRpcPool {
  const pool = ctx.backend.pool;
  if (pool === undefined) throw noPool();
  return pool;
}

function keystoreUnavailable(): RpcError {
  return new RpcError(CODES.AUTHOR_OTHER, "The key store is unavailable");
}

function requireKeystore(ctx: SubstrateRpcContext): SubstrateRpcKeystore {
  const keystore = ctx.backend.keystore;
  if (keystore === undefined) throw keystoreUnavailable();
  return keystore;
}

/** Runs a keystore call; its failures answer upstream's "Client error: …" (1040). */
async function keystoreCall<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RpcError) throw err;
    throw new RpcError(CODES.AUTHOR_OTHER, `Client error: ${errorMessage(err)}`);
  }
}

/** A `KeyTypeId`: four bytes of text (e.g. `aura`, `gran`), else upstream's BadKeyType. */
function keyTypeParam(v: unknown): string {
  const keyType = stringParam(v, "key_type");
  if (new TextEncoder().encode(keyType).length !== 4)
    throw new RpcError(CODES.AUTHOR_OTHER, "Invalid key type ID format (should be of length four)");
  return keyType;
}

/** `{"hash": "0x…"}` or `{"extrinsic": "0x…"}` (upstream's `ExtrinsicOrHash`) → the transaction hash. */
function extrinsicOrHash(item: unknown, name: string): Uint8Array {
  if (typeof item === "object" && item !== null && !Array.isArray(item)) {
    const o = item as Record<string, unknown>;
    if (Object.hasOwn(o, "hash")) return hashParam(o.hash, `${name}.hash`);
    if (Object.hasOwn(o, "extrinsic")) return blake2_256(bytesParam(o.extrinsic, `${name}.extrinsic`));
  }
  throw RpcError.invalidParams(`${name}: expected {"hash": …} or {"extrinsic": …}, got ${describe(item)}`);
}

/**
 * Why `tx` is not an encoded extrinsic at the envelope level, or undefined: an extrinsic is `Vec<u8>`-encoded
 * (compact length prefix, then exactly that many bytes), which Substrate's decode checks before the pool sees
 * it. Deeper problems (unknown call, bad arguments) are the runtime's `Undecodable` verdict.
 */
function formatProblem(tx: Uint8Array): string | undefined {
  const short = "Not enough data to fill buffer";
  if (tx.length === 0) return `${short}: empty input`;
  const b0 = tx[0]!;
  let len: number;
  let off: number;
  switch (b0 & 3) {
    case 0:
      len = b0 >> 2;
      off = 1;
      break;
    case 1:
      if (tx.length < 2) return `${short}: truncated length prefix`;
      len = (b0 | (tx[1]! << 8)) >> 2;
      off = 2;
      break;
    case 2:
      if (tx.length < 4) return `${short}: truncated length prefix`;
      len = (b0 | (tx[1]! << 8) | (tx[2]! << 16) | (tx[3]! << 24)) >>> 2;
      off = 4;
      break;
    default: {
      const n = (b0 >> 2) + 4;
      if (n > 6) return `the length prefix declares ${n}-byte length, larger than any extrinsic`;
      if (tx.length < 1 + n) return `${short}: truncated length prefix`;
      len = 0;
      for (let i = n; i >= 1; i--) len = len * 256 + tx[i]!;
      off = 1 + n;
    }
  }
  const rest = tx.length - off;
  if (rest < len) return `${short}: the length prefix says ${len} bytes, ${rest} follow`;
  if (rest > len) return `the length prefix says ${len} bytes, ${rest} follow (${rest - len} left over)`;
  return undefined;
}
