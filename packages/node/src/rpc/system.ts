/**
 * `system_*` (polkadot-sdk `substrate/client/rpc-api/src/system/mod.rs`) and `system_accountNextIndex` (FRAME's
 * `substrate/utils/frame/rpc/system`).
 */
import { concatBytes, toHex } from "@parapipe/primitives";
import { RpcError } from "./errors.js";
import { describe, positional, required } from "./params.js";
import type { RpcServer } from "./server.js";
import { errorMessage, type SubstrateRpcContext } from "./substrateContext.js";
import { SUBSTRATE_RPC_ERROR_CODES } from "./substrateErrors.js";

/** Registers the `system_*` methods. */
export function registerSystemRpc(server: RpcServer, ctx: SubstrateRpcContext): void {
  const sys = ctx.backend.system;
  server.register("system_name", () => sys.name);
  server.register("system_version", () => sys.version);
  server.register("system_chain", () => sys.chain);
  server.register("system_chainType", () => sys.chainType);
  server.register("system_properties", () => sys.properties);
  server.register("system_health", () => sys.health());
  server.register("system_localPeerId", () => sys.peerId());
  server.register("system_localListenAddresses", () => sys.listenAddrs());
  server.register("system_nodeRoles", () => sys.roles);
  // Unsafe upstream (`check_if_safe` in sc-rpc `system/mod.rs`): it exposes who the node talks to.
  server.register("system_peers", () => sys.peers(), { unsafe: true });
  server.register("system_syncState", () => {
    const current = ctx.chain.best.number;
    let highest = current;
    for (const p of sys.peers()) if (p.bestNumber > highest) highest = p.bestNumber;
    return { startingBlock: ctx.startingBlock, currentBlock: current, highestBlock: highest };
  });
  server.register("system_accountNextIndex", (params) => accountNextIndex(ctx, positional(params, ["account"])[0]), {
    aliases: ["account_nextIndex"],
  });
}

/**
 * The account's next nonce, pool-aware as FRAME's `adjust_nonce`: the on-chain nonce at the best block
 * (`AccountNonceApi_account_nonce`), then +1 for each ready pool transaction whose first `provides` tag is
 * `(account, nonce).encode()`. Only ready transactions count (a future one behind a nonce gap does not).
 */
async function accountNextIndex(ctx: SubstrateRpcContext, raw: unknown): Promise<number> {
  const account = accountIdParam(ctx, required(raw, "account"));
  const best = ctx.chain.best;
  let encoded: Uint8Array;
  try {
    encoded = await ctx.runtimeAt(best, (api, at) => api.call("AccountNonceApi_account_nonce", account, at));
  } catch (err) {
    throw new RpcError(SUBSTRATE_RPC_ERROR_CODES.NONCE_RUNTIME_ERROR, "Unable to query nonce.", errorMessage(err));
  }
  // The runtime's `Nonce` type: u32 (FRAME's default) or u64, little-endian.
  if (encoded.length !== 4 && encoded.length !== 8)
    throw new RpcError(
      SUBSTRATE_RPC_ERROR_CODES.NONCE_RUNTIME_ERROR,
      "Unable to query nonce.",
      `Cannot decode account nonce: ${encoded.length} bytes, expected a 4- or 8-byte integer`,
    );
  const width = encoded.length;
  const view = new DataView(encoded.buffer, encoded.byteOffset, width);
  let nonce = width === 4 ? BigInt(view.getUint32(0, true)) : view.getBigUint64(0, true);
  const pool = ctx.backend.pool;
  if (pool !== undefined) {
    const firstTags = new Set<string>();
    for (const tx of pool.ready()) {
      const tag = tx.provides[0];
      if (tag !== undefined) firstTags.add(toHex(tag));
    }
    while (firstTags.has(toHex(nonceTag(account, nonce, width)))) nonce++;
  }
  return Number(nonce);
}

/** `(AccountId, Nonce).encode()`: the tag FRAME's `CheckNonce` provides. */
function nonceTag(account: Uint8Array, nonce: bigint, width: number): Uint8Array {
  const n = new Uint8Array(width);
  const view = new DataView(n.buffer);
  if (width === 4) view.setUint32(0, Number(nonce & 0xffffffffn), true);
  else view.setBigUint64(0, nonce, true);
  return concatBytes(account, n);
}

/** An account id param: SS58 (as Substrate's `AccountId32` deserialises it) or 0x-hex of 32 bytes. */
function accountIdParam(ctx: SubstrateRpcContext, v: unknown): Uint8Array {
  if (typeof v !== "string")
    throw RpcError.invalidParams(`account: expected an SS58 address or 0x-hex account id, got ${describe(v)}`);
  let bytes: Uint8Array;
  try {
    bytes = (ctx.backend.registry.createType("AccountId32", v) as unknown as { toU8a(): Uint8Array }).toU8a();
  } catch (err) {
    throw RpcError.invalidParams(`account: ${describe(v)} is not an account id: ${errorMessage(err)}`);
  }
  if (bytes.length !== 32)
    throw RpcError.invalidParams(`account: expected a 32-byte account id, ${describe(v)} has ${bytes.length}`);
  return bytes;
}
