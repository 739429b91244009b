import { decodeExact, headerHash, type NodeStore } from "@parapipe/primitives";
import { BlockDecodeError } from "./errors.js";
import type { ChainRuntime, RuntimeResult, ValidTransaction } from "./interface.js";

/** The header fields read here. */
interface DecodedHeader {
  number: { toNumber(): number };
  parentHash: { toU8a(): Uint8Array };
  stateRoot: { toU8a(): Uint8Array };
}

/** What a FRAME-style runtime (Substrate header, `OpaqueBlock` body) offers, as `frameChainRuntime` needs it. */
export interface FrameRuntimeFunctions {
  /** The runtime's type registry (with `Header` and `OpaqueBlock`). */
  registry: Parameters<typeof decodeExact>[0];
  genesisStorage(): [Uint8Array, Uint8Array][];
  executeBlock(
    store: NodeStore,
    block: Uint8Array,
    parentHeader: Uint8Array,
  ): RuntimeResult<{
    header: { toU8a(): Uint8Array };
    hash: Uint8Array;
    stateRoot: Uint8Array;
    newNodes: ReadonlyMap<string, Uint8Array>;
    events?: readonly unknown[];
  }>;
  validateTransaction(
    store: NodeStore,
    best: { hash: Uint8Array; number: number; stateRoot: Uint8Array },
    tx: Uint8Array,
  ): RuntimeResult<ValidTransaction>;
}

/**
 * A FRAME-style runtime (the relay or the parachain runtime) behind the node's `ChainRuntime` interface: the
 * block and header decoding both share, with undecodable bytes as `BlockDecodeError`.
 */
export function frameChainRuntime(f: FrameRuntimeFunctions): ChainRuntime {
  const reg = f.registry;
  const decodeBlock = (block: Uint8Array) => {
    try {
      return decodeExact(reg, "OpaqueBlock", block) as unknown as {
        header: { toU8a(): Uint8Array };
        extrinsics: Array<{ toU8a(): Uint8Array }>;
      };
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new BlockDecodeError({ code: "UNDECODABLE_BLOCK", detail }, `block does not decode: ${detail}`);
    }
  };
  return {
    genesisStorage: () => f.genesisStorage(),
    decodeHeader(bytes) {
      let h: DecodedHeader;
      try {
        h = decodeExact(reg, "Header", bytes) as unknown as DecodedHeader;
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        throw new BlockDecodeError({ code: "UNDECODABLE_HEADER", detail }, `header does not decode: ${detail}`);
      }
      return {
        hash: headerHash(bytes),
        number: h.number.toNumber(),
        parentHash: h.parentHash.toU8a(),
        stateRoot: h.stateRoot.toU8a(),
      };
    },
    blockHeader: (block) => decodeBlock(block).header.toU8a(),
    // `Vec<Bytes>` items encode with their length prefix: exactly the submitted extrinsic encoding.
    blockExtrinsics: (block) => decodeBlock(block).extrinsics.map((x) => x.toU8a()),
    executeBlock(store, block, parentHeader) {
      const r = f.executeBlock(store, block, parentHeader);
      if (!r.ok) return r;
      const v = r.value;
      const value = { header: v.header.toU8a(), hash: v.hash, stateRoot: v.stateRoot, newNodes: v.newNodes };
      return { ok: true, value: v.events === undefined ? value : { ...value, events: v.events } };
    },
    validateTransaction: (store, best, tx) => f.validateTransaction(store, best, tx),
  };
}
