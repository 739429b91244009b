import { BlockDecodeError, type ChainRuntime } from "@parapipe/node";
import { decodeExact, headerHash } from "@parapipe/primitives";
import { relay } from "@parapipe/runtime";

type Header = relay.BuiltRelayBlock["header"];

/** The relay runtime behind the node's `ChainRuntime` interface (block import, pool). */
export function relayChainRuntime(rt: relay.RelayRuntime, genesis: relay.RelayGenesis): ChainRuntime {
  const reg = rt.registry;
  const decodeBlock = (block: Uint8Array) => {
    try {
      return decodeExact(reg, "OpaqueBlock", block) as unknown as {
        header: Header;
        extrinsics: Array<{ toU8a(): Uint8Array }>;
      };
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new BlockDecodeError({ code: "UNDECODABLE_BLOCK", detail }, `block does not decode: ${detail}`);
    }
  };
  return {
    genesisStorage: () => rt.genesisStorage(genesis),
    decodeHeader(bytes) {
      let h: Header;
      try {
        h = decodeExact<Header>(reg, "Header", bytes);
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
    blockExtrinsics: (block) => decodeBlock(block).extrinsics.map((x) => x.toU8a()),
    executeBlock(store, block, parentHeader) {
      const r = relay.executeRelayBlock(rt, store, block, { parentHeader });
      if (!r.ok) return r;
      const v = r.value;
      return {
        ok: true,
        value: {
          header: v.header.toU8a(),
          hash: v.hash,
          stateRoot: v.stateRoot,
          newNodes: v.newNodes,
          events: v.events,
        },
      };
    },
    validateTransaction: (store, best, tx) => rt.validateTransaction(store, best, tx),
  };
}
