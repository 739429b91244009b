import { type ChainRuntime, frameChainRuntime } from "@parapipe/node";
import { relay } from "@parapipe/runtime";

/** The relay runtime behind the node's `ChainRuntime` interface (block import, pool). */
export function relayChainRuntime(rt: relay.RelayRuntime, genesis: relay.RelayGenesis): ChainRuntime {
  return frameChainRuntime({
    registry: rt.registry,
    genesisStorage: () => rt.genesisStorage(genesis),
    executeBlock: (store, block, parentHeader) => relay.executeRelayBlock(rt, store, block, { parentHeader }),
    validateTransaction: (store, best, tx) => rt.validateTransaction(store, best, tx),
  });
}
