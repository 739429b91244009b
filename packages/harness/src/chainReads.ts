/**
 * What the wait-for helpers read from a node, over its JSON-RPC (the same in both modes): block numbers, the
 * para head the relay chain included, and a block's events decoded with the chain's own metadata.
 */
import {
  concatBytes,
  decodeHeader,
  fromHex,
  toHex,
  twox64,
  twox128,
  registry as wireRegistry,
} from "@parapipe/primitives";
import { createMetadataRegistry } from "@parapipe/runtime";
import type { RpcClient } from "./rpcClient.js";

/** A decoded event of one block. */
export interface ChainEvent {
  /** `Section.Method` as the metadata names them (`Balances.Transfer`). */
  name: string;
  section: string;
  method: string;
  /**
   * The event's fields as JSON (`toJSON()` of the decoded data): accounts are SS58 addresses with the chain's
   * prefix, integers wider than 52 bits are hex strings (`BigInt(x)` reads them).
   */
  data: unknown[];
  blockNumber: number;
  blockHash: string;
  /** The extrinsic index it was emitted in, or undefined for initialization/finalization. */
  extrinsicIndex?: number;
}

interface HeaderJson {
  number: string;
  parentHash: string;
}

/** The number of a header's hex `number` field. */
const numberOf = (h: HeaderJson) => Number.parseInt(h.number, 16);

/** The best block's number and hash. */
export async function bestBlock(rpc: RpcClient): Promise<{ number: number; hash: string }> {
  const hash = await rpc.call<string>("chain_getBlockHash", []);
  const header = await rpc.call<HeaderJson>("chain_getHeader", [hash]);
  return { number: numberOf(header), hash };
}

/** The finalized block's number and hash. */
export async function finalizedBlock(rpc: RpcClient): Promise<{ number: number; hash: string }> {
  const hash = await rpc.call<string>("chain_getFinalizedHead", []);
  const header = await rpc.call<HeaderJson>("chain_getHeader", [hash]);
  return { number: numberOf(header), hash };
}

/** `Paras.Heads(paraId)`: twox128("Paras") ++ twox128("Heads") ++ Twox64Concat(u32 LE). */
export function parasHeadsKey(paraId: number): string {
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, paraId, true);
  return toHex(concatBytes(twox128("Paras"), twox128("Heads"), twox64(id), id));
}

/** `System.Events`. */
const EVENTS_KEY = toHex(concatBytes(twox128("System"), twox128("Events")));

/**
 * The para block number the relay chain has included at its best block (from `Paras.Heads`), with that relay
 * block's number; `included` is undefined when the para is not registered.
 */
export async function includedParaHead(
  relayRpc: RpcClient,
  paraId: number,
): Promise<{ included: number | undefined; relay: number }> {
  const relay = await bestBlock(relayRpc);
  const raw = await relayRpc.call<string | null>("state_getStorage", [parasHeadsKey(paraId), relay.hash]);
  if (raw === null) return { included: undefined, relay: relay.number };
  // HeadData is a SCALE `Vec<u8>` holding the para header.
  const head = wireRegistry.createType("Bytes", fromHex(raw)).toU8a(true);
  return { included: decodeHeader(head).number.toNumber(), relay: relay.number };
}

/** Decodes `System.Events` of blocks of one chain with that chain's metadata (fetched once over RPC). */
export class EventReader {
  private registry?: ReturnType<typeof createMetadataRegistry>;

  /** The events of the block with `hash` (number `blockNumber`), read from a node of the chain. */
  async eventsAt(rpc: RpcClient, hash: string, blockNumber: number): Promise<ChainEvent[]> {
    if (!this.registry) {
      const registry = createMetadataRegistry(await rpc.call<`0x${string}`>("state_getMetadata", []));
      // Accounts in events print with the chain's SS58 prefix, as polkadot-js Apps shows them.
      const props = await rpc.call<Record<string, unknown>>("system_properties", []);
      registry.setChainProperties(registry.createType("ChainProperties", props) as never);
      this.registry = registry;
    }
    const raw = await rpc.call<string | null>("state_getStorage", [EVENTS_KEY, hash]);
    if (raw === null) return [];
    const records = this.registry.createType("Vec<EventRecord>", fromHex(raw)) as unknown as Array<{
      phase: { isApplyExtrinsic: boolean; asApplyExtrinsic: { toNumber(): number } };
      event: { section: string; method: string; data: { toJSON(): unknown } };
    }>;
    return records.map((r) => {
      const section = upperFirst(r.event.section);
      return {
        name: `${section}.${r.event.method}`,
        section,
        method: r.event.method,
        data: r.event.data.toJSON() as unknown[],
        blockNumber,
        blockHash: hash,
        ...(r.phase.isApplyExtrinsic ? { extrinsicIndex: r.phase.asApplyExtrinsic.toNumber() } : {}),
      };
    });
  }
}

/** The block hash at `number` on the node's best chain, or null. */
export async function blockHashAt(rpc: RpcClient, number: number): Promise<string | null> {
  return rpc.call<string | null>("chain_getBlockHash", [number]);
}

const upperFirst = (s: string) => (s.length ? s[0]!.toUpperCase() + s.slice(1) : s);
