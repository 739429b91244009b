/**
 * `chain_*` (polkadot-sdk `substrate/client/rpc-api/src/chain/mod.rs`, `client/rpc/src/chain`): block hashes,
 * headers and blocks (null for unknown ones, as Substrate answers), and the head subscriptions, each sending
 * the current head first.
 */
import { toHex } from "@parapipe/primitives";
import { RpcError } from "./errors.js";
import { isAbsent, numberOrHexParam, optHashParam, positional } from "./params.js";
import type { RpcServer } from "./server.js";
import { type HeaderJson, NotificationQueue, type SubstrateRpcContext } from "./substrateContext.js";
import { SUBSTRATE_RPC_ERROR_CODES } from "./substrateErrors.js";

/** `chain_getBlock`'s answer (Substrate `SignedBlock`). */
export interface SignedBlockJson {
  block: { header: HeaderJson; extrinsics: string[] };
  /** `sp_runtime::Justifications` as serde writes it: `[[engineId as [u8; 4], bytes as [u8]]]`, or null. */
  justifications: Array<[number[], number[]]> | null;
}

const U32_MAX = 0xffffffffn;

/** Registers the `chain_*` methods and subscriptions. */
export function registerChainRpc(server: RpcServer, ctx: SubstrateRpcContext): void {
  const chain = ctx.chain;
  const events = ctx.backend.events;
  const engineId = [...new TextEncoder().encode(ctx.backend.justificationEngineId ?? "FRNK")];

  server.register(
    "chain_getBlockHash",
    async (params) => {
      const [arg] = positional(params, ["hash"]);
      if (isAbsent(arg)) return toHex(chain.best.hash);
      if (Array.isArray(arg)) {
        const out: Array<string | null> = [];
        for (let i = 0; i < arg.length; i++) out.push(await hashAt(ctx, arg[i], `hash[${i}]`));
        return out;
      }
      return hashAt(ctx, arg, "hash");
    },
    { aliases: ["chain_getHead"] },
  );

  server.register("chain_getHeader", async (params) => {
    const hash = optHashParam(positional(params, ["hash"])[0], "hash") ?? chain.best.hash;
    return (await ctx.headerJsonOf(hash)) ?? null;
  });

  server.register("chain_getBlock", async (params): Promise<SignedBlockJson | null> => {
    const hash = optHashParam(positional(params, ["hash"])[0], "hash") ?? chain.best.hash;
    const header = await chain.header(hash);
    if (header === undefined) return null;
    // The genesis block is stored as a header only: it has no extrinsics.
    const body = await chain.block(hash);
    const extrinsics = body === undefined ? [] : ctx.backend.runtime.blockExtrinsics(body).map((x) => toHex(x));
    const justification = await chain.justification(hash);
    return {
      block: { header: ctx.headerJson(header), extrinsics },
      justifications: justification === undefined ? null : [[engineId, [...justification]]],
    };
  });

  server.register("chain_getFinalizedHead", () => toHex(chain.finalized.hash), {
    aliases: ["chain_getFinalisedHead"],
  });

  server.registerSubscription(
    {
      subscribe: "chain_subscribeAllHeads",
      unsubscribe: "chain_unsubscribeAllHeads",
      notification: "chain_allHead",
    },
    (_params, sink) => {
      const feed = new HeaderFeed(ctx, new NotificationQueue(sink, ctx.logger, "chain_allHead"));
      const unsubscribe = events.onImported((e) => feed.push(e.block.hash));
      feed.push(chain.best.hash);
      return unsubscribe;
    },
  );

  server.registerSubscription(
    {
      subscribe: "chain_subscribeNewHeads",
      unsubscribe: "chain_unsubscribeNewHeads",
      notification: "chain_newHead",
      aliases: {
        subscribe: ["subscribe_newHead", "chain_subscribeNewHead"],
        unsubscribe: ["unsubscribe_newHead", "chain_unsubscribeNewHead"],
      },
    },
    (_params, sink) => {
      const feed = new HeaderFeed(ctx, new NotificationQueue(sink, ctx.logger, "chain_newHead"));
      const unsubscribe = events.onNewBest((e) => feed.push(e.hash));
      feed.push(chain.best.hash);
      return unsubscribe;
    },
  );

  server.registerSubscription(
    {
      subscribe: "chain_subscribeFinalizedHeads",
      unsubscribe: "chain_unsubscribeFinalizedHeads",
      notification: "chain_finalizedHead",
      aliases: { subscribe: ["chain_subscribeFinalisedHeads"], unsubscribe: ["chain_unsubscribeFinalisedHeads"] },
    },
    (_params, sink) => {
      const feed = new HeaderFeed(ctx, new NotificationQueue(sink, ctx.logger, "chain_finalizedHead"));
      // A finality step over several blocks reports each, in order: clients following finalized heads (PAPI's
      // legacy chainHead emulation) expect every finalized block's parent to have been announced.
      const unsubscribe = events.onFinalized((e) => {
        for (const b of e.finalized) feed.push(b.hash);
      });
      feed.push(chain.finalized.hash);
      return unsubscribe;
    },
  );
}

/** The canonical hash at a `NumberOrHex` block number, or null. */
async function hashAt(ctx: SubstrateRpcContext, v: unknown, name: string): Promise<string | null> {
  const n = numberOrHexParam(v, name);
  // Substrate's own check and message (sc-rpc `chain/mod.rs` `block_hash`): the database keys numbers as u32.
  if (n > U32_MAX)
    throw new RpcError(
      SUBSTRATE_RPC_ERROR_CODES.CHAIN_OTHER,
      `\`${typeof v === "string" ? v : n.toString()}\` > u32::MAX, the max block number is u32.`,
    );
  const hash = await ctx.chain.canonicalHash(Number(n));
  return hash === undefined ? null : toHex(hash);
}

/** Sends the headers of the blocks pushed, in push order, skipping a repeat of the last one sent. */
class HeaderFeed {
  private last: string | undefined;

  constructor(
    private readonly ctx: SubstrateRpcContext,
    private readonly queue: NotificationQueue,
  ) {}

  push(hash: Uint8Array): void {
    this.queue.push(async () => {
      const hex = toHex(hash);
      if (hex === this.last) return undefined;
      const header = await this.ctx.headerJsonOf(hash);
      if (header === undefined) return undefined;
      this.last = hex;
      return header;
    });
  }
}
