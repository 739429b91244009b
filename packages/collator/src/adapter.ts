import { type ChainRuntime, frameChainRuntime } from "@parapipe/node";
import { executeBlock, type ParachainRuntime } from "@parapipe/runtime";

/**
 * The parachain runtime behind the node's `ChainRuntime` interface (para block import, transaction pool).
 * `onExecuted` sees the header of every block the import executed (the collator reads its relay parent).
 */
export function paraChainRuntime(
  rt: ParachainRuntime,
  genesisStorage: Array<[Uint8Array, Uint8Array]>,
  onExecuted?: (header: Uint8Array) => void,
): ChainRuntime {
  return frameChainRuntime({
    registry: rt.registry,
    genesisStorage: () => genesisStorage,
    executeBlock: (store, block, parentHeader) => {
      const r = executeBlock(rt, store, block, { parentHeader });
      if (r.ok) onExecuted?.(r.value.header.toU8a());
      return r;
    },
    validateTransaction: (store, best, tx) => rt.validateTransaction(store, best, tx),
  });
}
