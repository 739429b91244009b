/**
 * `state_*` (polkadot-sdk `substrate/client/rpc-api/src/state/mod.rs`, `client/rpc/src/state/state_full.rs`):
 * storage, keys, proofs and runtime calls at any stored block (the best block when `at` is absent), and the
 * runtime-version and storage subscriptions.
 */
import { blake2_256, bytesEqual, generateProof, Trie, toHex } from "@parapipe/primitives";
import type { BlockInfo } from "../interface.js";
import { RPC_ERROR_CODES, RpcError } from "./errors.js";
import {
  bytesListParam,
  bytesParam,
  hashParam,
  isAbsent,
  optBytesParam,
  optHashParam,
  positional,
  stringParam,
  u32Param,
} from "./params.js";
import type { RpcServer } from "./server.js";
import { NotificationQueue, type SubstrateRpcContext, stateCallError } from "./substrateContext.js";
import { SUBSTRATE_RPC_ERROR_CODES } from "./substrateErrors.js";

/** `StorageChangeSet`: the values (null = absent) of some keys at a block. */
export interface StorageChangeSetJson {
  block: string;
  changes: Array<[string, string | null]>;
}

/** Substrate's `STORAGE_KEYS_PAGED_MAX_COUNT` (sc-rpc `state/mod.rs`). */
export const STORAGE_KEYS_PAGED_MAX_COUNT = 1000;

/** Registers the `state_*` methods and subscriptions. */
export function registerStateRpc(server: RpcServer, ctx: SubstrateRpcContext): void {
  const chain = ctx.chain;
  const events = ctx.backend.events;

  server.register(
    "state_call",
    async (params) => {
      const [rawName, rawData, rawAt] = positional(params, ["name", "bytes", "hash"]);
      const method = stringParam(rawName, "name");
      const data = bytesParam(rawData, "bytes");
      const at = optHashParam(rawAt, "hash");
      return toHex(await ctx.stateRuntime(at, (api, block) => api.call(method, data, block), method));
    },
    { aliases: ["state_callAt"] },
  );

  server.register(
    "state_getRuntimeVersion",
    async (params) => {
      const at = optHashParam(positional(params, ["hash"])[0], "hash");
      return ctx.stateRuntime(at, (api) => api.version());
    },
    { aliases: ["chain_getRuntimeVersion"] },
  );

  server.register("state_getMetadata", async (params) => {
    const at = optHashParam(positional(params, ["hash"])[0], "hash");
    return toHex(await ctx.stateRuntime(at, (api) => api.metadata()));
  });

  server.register(
    "state_getStorage",
    async (params) => {
      const [rawKey, rawAt] = positional(params, ["key", "hash"]);
      const key = bytesParam(rawKey, "key");
      const at = await ctx.stateBlock(optHashParam(rawAt, "hash"));
      const value = await ctx.storage(at, key);
      return value === undefined ? null : toHex(value);
    },
    { aliases: ["state_getStorageAt"] },
  );

  server.register(
    "state_getStorageHash",
    async (params) => {
      const [rawKey, rawAt] = positional(params, ["key", "hash"]);
      const key = bytesParam(rawKey, "key");
      const at = await ctx.stateBlock(optHashParam(rawAt, "hash"));
      const value = await ctx.storage(at, key);
      return value === undefined ? null : toHex(blake2_256(value));
    },
    { aliases: ["state_getStorageHashAt"] },
  );

  server.register(
    "state_getStorageSize",
    async (params) => {
      const [rawKey, rawAt] = positional(params, ["key", "hash"]);
      const key = bytesParam(rawKey, "key");
      const at = await ctx.stateBlock(optHashParam(rawAt, "hash"));
      // As `state_full.rs`: the value's length, else the total size of the values under `key` as a prefix.
      return chain.withState((store) => {
        const trie = new Trie(store, at.stateRoot);
        const value = trie.get(key);
        if (value !== undefined) return value.length;
        let sum = 0;
        for (const [, v] of trie.entries(key)) sum += v.length;
        return sum > 0 ? sum : null;
      });
    },
    { aliases: ["state_getStorageSizeAt"] },
  );

  // Deprecated upstream ("use getKeysPaged") but safe; it lists every key under the prefix.
  server.register("state_getKeys", async (params) => {
    const [rawPrefix, rawAt] = positional(params, ["prefix", "hash"]);
    const prefix = bytesParam(rawPrefix, "prefix");
    const at = await ctx.stateBlock(optHashParam(rawAt, "hash"));
    return chain.withState((store) => [...new Trie(store, at.stateRoot).entries(prefix)].map(([k]) => toHex(k)));
  });

  server.register(
    "state_getPairs",
    async (params) => {
      const [rawPrefix, rawAt] = positional(params, ["prefix", "hash"]);
      const prefix = bytesParam(rawPrefix, "prefix");
      const at = await ctx.stateBlock(optHashParam(rawAt, "hash"));
      return chain.withState((store) =>
        [...new Trie(store, at.stateRoot).entries(prefix)].map(([k, v]) => [toHex(k), toHex(v)]),
      );
    },
    { unsafe: true },
  );

  server.register(
    "state_getKeysPaged",
    async (params) => {
      const [rawPrefix, rawCount, rawStart, rawAt] = positional(params, ["prefix", "count", "start_key", "hash"]);
      const prefix = optBytesParam(rawPrefix, "prefix") ?? new Uint8Array(0);
      const count = u32Param(rawCount, "count");
      if (count > STORAGE_KEYS_PAGED_MAX_COUNT)
        throw new RpcError(
          SUBSTRATE_RPC_ERROR_CODES.STATE_INVALID_COUNT,
          `count exceeds maximum value. value: ${count}, max: ${STORAGE_KEYS_PAGED_MAX_COUNT}`,
        );
      const startKey = optBytesParam(rawStart, "start_key");
      const at = await ctx.stateBlock(optHashParam(rawAt, "hash"));
      // Keys strictly after `startKey`, as Substrate's `storage_keys(…, start_key)` iterates.
      const keys = await chain.withState((store) => new Trie(store, at.stateRoot).keysPaged(prefix, count, startKey));
      return keys.map((k) => toHex(k));
    },
    { aliases: ["state_getKeysPagedAt"] },
  );

  server.register("state_queryStorageAt", async (params) => {
    const [rawKeys, rawAt] = positional(params, ["keys", "at"]);
    const keys = bytesListParam(rawKeys, "keys");
    const at = optHashParam(rawAt, "at") ?? chain.best.hash;
    // Upstream this is `query_storage(at, at)`: one change set with every key (each is "new" at the start).
    return queryStorage(ctx, keys, at, at);
  });

  server.register(
    "state_queryStorage",
    async (params) => {
      const [rawKeys, rawFrom, rawTo] = positional(params, ["keys", "block", "hash"]);
      const keys = bytesListParam(rawKeys, "keys");
      const from = hashParam(rawFrom, "block");
      const to = optHashParam(rawTo, "hash") ?? chain.best.hash;
      return queryStorage(ctx, keys, from, to);
    },
    { unsafe: true },
  );

  server.register("state_getReadProof", async (params) => {
    const [rawKeys, rawAt] = positional(params, ["keys", "hash"]);
    const keys = bytesListParam(rawKeys, "keys");
    const at = await ctx.stateBlock(optHashParam(rawAt, "hash"));
    const proof = await chain.withState((store) => generateProof(store, at.stateRoot, keys));
    return { at: toHex(at.hash), proof: proof.map((n) => toHex(n)) };
  });

  server.registerSubscription(
    {
      subscribe: "state_subscribeRuntimeVersion",
      unsubscribe: "state_unsubscribeRuntimeVersion",
      notification: "state_runtimeVersion",
      aliases: { subscribe: ["chain_subscribeRuntimeVersion"], unsubscribe: ["chain_unsubscribeRuntimeVersion"] },
    },
    (_params, sink) => {
      const queue = new NotificationQueue(sink, ctx.logger, "state_runtimeVersion");
      let last: string | undefined;
      // The current version first, then the version of each new best block that differs from the last sent.
      const versionAt = (at: BlockInfo) => async () => {
        let version: Record<string, unknown>;
        try {
          version = await ctx.runtimeAt(at, (api) => api.version());
        } catch (err) {
          throw stateCallError(err);
        }
        const json = JSON.stringify(version);
        if (json === last) return undefined;
        last = json;
        return version;
      };
      const unsubscribe = events.onNewBest((e) => queue.push(versionAt(e.best)));
      queue.push(versionAt(chain.best));
      return unsubscribe;
    },
  );

  server.registerSubscription(
    { subscribe: "state_subscribeStorage", unsubscribe: "state_unsubscribeStorage", notification: "state_storage" },
    (params, sink, call) => {
      const [rawKeys] = positional(params, ["keys"]);
      if (isAbsent(rawKeys)) {
        // Every key's changes: unsafe upstream (`subscribe_storage` `check_if_safe` when keys is None).
        if (call.denyUnsafe)
          throw new RpcError(RPC_ERROR_CODES.METHOD_NOT_FOUND, "RPC call is unsafe to be called externally");
        throw RpcError.callFailed("Subscribing to every storage change is not supported: pass the keys to watch");
      }
      const keys = unique(bytesListParam(rawKeys, "keys"));
      const queue = new NotificationQueue(sink, ctx.logger, "state_storage");
      const last = new Map<string, string | null>();
      let initial = true;
      // The current values first, then on each new best block the keys whose values differ from the last sent
      // (which also covers reorgs and skipped blocks); change sets without changes are not sent.
      const changesAt = (at: BlockInfo) => async (): Promise<StorageChangeSetJson | undefined> => {
        const values = await ctx.storageMany(at, keys);
        const changes: Array<[string, string | null]> = [];
        keys.forEach((k, i) => {
          const key = toHex(k);
          const v = values[i];
          const value = v === undefined ? null : toHex(v);
          if (initial || last.get(key) !== value) changes.push([key, value]);
          last.set(key, value);
        });
        initial = false;
        return changes.length === 0 ? undefined : { block: toHex(at.hash), changes };
      };
      const unsubscribe = events.onNewBest((e) => queue.push(changesAt(e.best)));
      queue.push(changesAt(chain.best));
      return unsubscribe;
    },
  );
}

/**
 * `state_queryStorage` as `state_full.rs` does it: the blocks from `from` to `to` along `to`'s ancestry, and
 * for each the keys whose value differs from the previous block's (all of them at the first block). Blocks that
 * are unknown or not on one chain are refused with 4001.
 */
async function queryStorage(
  ctx: SubstrateRpcContext,
  keys: Uint8Array[],
  from: Uint8Array,
  to: Uint8Array,
): Promise<StorageChangeSetJson[]> {
  const chain = ctx.chain;
  const range = (details: string) =>
    new RpcError(
      SUBSTRATE_RPC_ERROR_CODES.STATE_INVALID_BLOCK_RANGE,
      `Cannot resolve a block range ['${toHex(from)}' ... '${toHex(to)}']. ${details}`,
    );
  const unknown = (h: Uint8Array) => range(`UnknownBlock: Header was not found in the database: ${toHex(h)}`);
  const fromInfo = await chain.blockInfo(from);
  if (fromInfo === undefined) throw unknown(from);
  const toInfo = await chain.blockInfo(to);
  if (toInfo === undefined) throw unknown(to);
  if (fromInfo.number > toInfo.number) throw range("from number > to number");
  const blocks = [toInfo];
  let last = toInfo;
  while (last.number > fromInfo.number) {
    const parent = await chain.blockInfo(last.parentHash);
    if (parent === undefined) throw unknown(last.parentHash);
    blocks.push(parent);
    last = parent;
  }
  if (!bytesEqual(last.hash, fromInfo.hash)) throw range("from and to are on different forks");
  blocks.reverse();
  const previous = new Map<string, string | null>();
  const out: StorageChangeSetJson[] = [];
  for (const b of blocks) {
    const values = await ctx.storageMany(b, keys);
    const changes: Array<[string, string | null]> = [];
    keys.forEach((k, i) => {
      const key = toHex(k);
      const v = values[i];
      const value = v === undefined ? null : toHex(v);
      if (!previous.has(key) || previous.get(key) !== value) changes.push([key, value]);
      previous.set(key, value);
    });
    if (changes.length > 0) out.push({ block: toHex(b.hash), changes });
  }
  return out;
}

/** The keys without repeats, first occurrence kept. */
function unique(keys: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const hex = toHex(k);
    if (seen.has(hex)) return false;
    seen.add(hex);
    return true;
  });
}
