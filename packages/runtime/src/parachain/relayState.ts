import {
  applyChanges,
  blake2_256,
  concatBytes,
  EMPTY_TRIE_ROOT,
  generateProof,
  hashStorageKey,
  MemoryNodeStore,
  Trie,
  twox128,
} from "@parapipe/primitives";
import { compactAddLength } from "@polkadot/util";

/**
 * The relay-chain storage keys a parachain runtime reads from the relay state proof (cumulus
 * `well_known_keys`). Where Cumulus reads BABE's `CurrentSlot`, parapipe's relay (Aura-style authoring) keeps
 * the slot in `Aura.CurrentSlot`.
 */
export const relayKeys = {
  /** `Aura.CurrentSlot` of the relay: u64. */
  currentSlot: concatBytes(twox128("Aura"), twox128("CurrentSlot")),
  /** `Paras.Heads(paraId)`: `StorageMap<Twox64Concat, ParaId, HeadData>`. */
  paraHead(paraId: number): Uint8Array {
    const id = new Uint8Array(4);
    new DataView(id.buffer).setUint32(0, paraId, true);
    return concatBytes(twox128("Paras"), twox128("Heads"), hashStorageKey("Twox64Concat", id));
  },
};

/**
 * Builds a relay state and its proof for the parachain inherent: what a collator's embedded relay follower
 * does from real relay state, and what tests use to stand in for a relay chain.
 */
export function buildRelayStateProof(entries: {
  relaySlot: bigint;
  paraId: number;
  /** The included para head (SCALE header bytes), if the relay has one. */
  includedHead?: Uint8Array;
  /** Extra relay entries (key, value) to put in the relay state. */
  extra?: Array<[Uint8Array, Uint8Array]>;
}): { root: Uint8Array; proof: Uint8Array[] } {
  const slot = new Uint8Array(8);
  new DataView(slot.buffer).setBigUint64(0, entries.relaySlot, true);
  const kv: Array<[Uint8Array, Uint8Array]> = [[relayKeys.currentSlot, slot], ...(entries.extra ?? [])];
  const keys = [relayKeys.currentSlot, relayKeys.paraHead(entries.paraId)];
  if (entries.includedHead) kv.push([relayKeys.paraHead(entries.paraId), compactAddLength(entries.includedHead)]);
  const store = new MemoryNodeStore();
  const { root, newNodes } = applyChanges(store, EMPTY_TRIE_ROOT, kv);
  for (const node of newNodes.values()) store.put(blake2_256(node), node);
  return { root, proof: generateProof(store, root, keys) };
}

/** What the parachain runtime needs from the relay state proof. */
export interface RelayStateView {
  relaySlot: bigint;
  /** blake2-256 of the included head data (= the para block hash), if the relay has a head for the para. */
  includedHeadHash?: Uint8Array;
}

/** Reads the relay slot and the para's included head from a proof; throws `MissingNodeError` or a TypeError. */
export function readRelayState(root: Uint8Array, proof: readonly Uint8Array[], paraId: number): RelayStateView {
  const trie = new Trie(MemoryNodeStore.fromNodes(proof), root);
  const slotRaw = trie.get(relayKeys.currentSlot);
  if (slotRaw === undefined || slotRaw.length !== 8)
    throw new TypeError("relay state proof has no valid Aura.CurrentSlot");
  const relaySlot = new DataView(slotRaw.buffer, slotRaw.byteOffset, 8).getBigUint64(0, true);
  const headRaw = trie.get(relayKeys.paraHead(paraId));
  let includedHeadHash: Uint8Array | undefined;
  if (headRaw) {
    // HeadData is Vec<u8>: strip the compact length, hash the header bytes.
    const { offset, length } = compactPrefix(headRaw);
    if (offset + length !== headRaw.length) throw new TypeError("relay Paras.Heads value is not a valid HeadData");
    includedHeadHash = blake2_256(headRaw.subarray(offset));
  }
  return { relaySlot, includedHeadHash };
}

function compactPrefix(b: Uint8Array): { offset: number; length: number } {
  const mode = b[0]! & 3;
  if (mode === 0) return { offset: 1, length: b[0]! >> 2 };
  if (mode === 1) return { offset: 2, length: (b[0]! | (b[1]! << 8)) >> 2 };
  if (mode === 2) return { offset: 4, length: (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 2 };
  throw new TypeError("HeadData longer than 2^30 bytes");
}
