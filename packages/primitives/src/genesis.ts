import type { Header } from "@polkadot/types/interfaces";
import { type ChainSpec, ChainSpecError } from "./chainSpec/index.js";
import { blake2_256, fromHex } from "./hashing.js";
import { orderedTrieRoot, trieRoot } from "./trie/index.js";
import { registry } from "./types/registry.js";

/** A genesis block: its state root, SCALE header and hash. */
export interface GenesisBlock {
  stateRoot: Uint8Array;
  header: Uint8Array;
  hash: Uint8Array;
}

/**
 * The genesis block of a state (Substrate's `construct_genesis_block`): number 0, zero parent hash, the state's
 * trie root, the root of no extrinsics, empty digest. Its hash is the chain's genesis hash.
 */
export function genesisFromStorage(entries: Iterable<readonly [Uint8Array, Uint8Array]>): GenesisBlock {
  const stateRoot = trieRoot(entries);
  const header = registry
    .createType<Header>("Header", {
      parentHash: new Uint8Array(32),
      number: 0,
      stateRoot,
      extrinsicsRoot: orderedTrieRoot([]),
      digest: { logs: [] },
    })
    .toU8a();
  return { stateRoot, header, hash: blake2_256(header) };
}

/** The genesis storage of a raw spec as byte pairs. */
export function rawGenesisEntries(spec: ChainSpec): Array<[Uint8Array, Uint8Array]> {
  if (spec.genesis.kind !== "raw") {
    throw new ChainSpecError("genesis", "expected a raw spec (genesis.raw); build it with build-spec --raw");
  }
  return [...spec.genesis.top].map(([k, v]) => [fromHex(k), fromHex(v)]);
}
