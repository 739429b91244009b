import { blake2_256 } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import { compactAddLength, compactStripLength } from "@polkadot/util";
import type { Pallet } from "../frame/pallet.js";
import { type StateAccess, StorageMap, StorageValue } from "../frame/storage.js";

/** A para registered at genesis (`paras::ParaGenesisArgs` with its id). */
export interface RelayParaGenesis {
  paraId: number;
  /** The genesis head data (for parapipe paras: the genesis block's SCALE header). */
  genesisHead: Uint8Array;
  /** The validation code (for parapipe paras: the parachain runtime's `:code`). */
  validationCode: Uint8Array;
}

/**
 * `paras`: the registered parachains with their heads and validation code, keyed as FRAME keys them
 * (`Paras.Heads` = twox128("Paras") ++ twox128("Heads") ++ Twox64Concat(ParaId u32 LE), the key parachains
 * prove against), and `MostRecentContext`, the relay-parent number of the latest included candidate.
 */
export function createParas(registry: TypeRegistry, index: number) {
  const P = "Paras";
  const Parachains = new StorageValue(registry, P, "Parachains", "Vec<u32>", {
    docs: ["All currently active parachains, sorted by id."],
  });
  const Heads = new StorageMap(registry, P, "Heads", "Twox64Concat", "u32", "HeadData", {
    modifier: "Optional",
    docs: ["The head-data of every registered para."],
  });
  const MostRecentContext = new StorageMap(registry, P, "MostRecentContext", "Twox64Concat", "u32", "u32", {
    modifier: "Optional",
    docs: ["The context (relay-chain block number) of the most recent parachain head."],
  });
  const CurrentCodeHash = new StorageMap(registry, P, "CurrentCodeHash", "Twox64Concat", "u32", "H256", {
    modifier: "Optional",
    docs: ["The validation code hash of every live para."],
  });
  const CodeByHashRefs = new StorageMap(registry, P, "CodeByHashRefs", "Identity", "H256", "u32", {
    docs: ["The number of reference on the validation code in `CodeByHash` storage."],
  });
  const CodeByHash = new StorageMap(registry, P, "CodeByHash", "Identity", "H256", "Bytes", {
    modifier: "Optional",
    docs: ["Validation code stored by its hash."],
  });
  const ParaLifecycles = new StorageMap(registry, P, "ParaLifecycles", "Twox64Concat", "u32", "ParaLifecycle", {
    modifier: "Optional",
    docs: ["The current lifecycle of all known Para IDs."],
  });

  const pallet: Pallet = {
    name: P,
    index,
    crate: "polkadot_runtime_parachains::paras",
    storage: [Parachains, Heads, MostRecentContext, CurrentCodeHash, CodeByHashRefs, CodeByHash, ParaLifecycles],
  };

  /** The raw content of a `Vec<u8>`-like storage value (without its compact length). */
  const content = (raw: Uint8Array) => compactStripLength(raw)[1];

  return {
    pallet,
    storage: { Parachains, Heads, MostRecentContext, CurrentCodeHash, CodeByHashRefs, CodeByHash, ParaLifecycles },
    /** The registered parachains, sorted by id; core `i` serves `parachains[i]`. */
    parachains(s: StateAccess): number[] {
      return (Parachains.get(s) as unknown as Codec[]).map((p) => (p as unknown as { toNumber(): number }).toNumber());
    },
    /** The included head data of a para, or undefined. */
    head(s: StateAccess, paraId: number): Uint8Array | undefined {
      const raw = Heads.getRaw(s, paraId);
      return raw === undefined ? undefined : content(raw);
    },
    /** The validation code hash of a para, or undefined. */
    codeHash(s: StateAccess, paraId: number): Uint8Array | undefined {
      return CurrentCodeHash.getRaw(s, paraId);
    },
    /** The relay-parent number of the latest included candidate of a para, or undefined. */
    mostRecentContext(s: StateAccess, paraId: number): number | undefined {
      const v = MostRecentContext.getOption(s, paraId);
      return v === undefined ? undefined : (v as unknown as { toNumber(): number }).toNumber();
    },
    /** `note_new_head`: a candidate was enacted. */
    noteNewHead(s: StateAccess, paraId: number, head: Uint8Array, relayParentNumber: number): void {
      s.set(Heads.keyFor(paraId), compactAddLength(head));
      MostRecentContext.put(s, paraId, relayParentNumber);
    },
    genesis(s: StateAccess, paras: readonly RelayParaGenesis[]): void {
      const sorted = [...paras].sort((a, b) => a.paraId - b.paraId);
      Parachains.put(
        s,
        sorted.map((p) => p.paraId),
      );
      for (const p of sorted) {
        const hash = blake2_256(p.validationCode);
        s.set(Heads.keyFor(p.paraId), compactAddLength(p.genesisHead));
        s.set(CurrentCodeHash.keyFor(p.paraId), hash);
        s.set(CodeByHash.keyFor(hash), compactAddLength(p.validationCode));
        CodeByHashRefs.put(s, hash, (CodeByHashRefs.get(s, hash) as unknown as { toNumber(): number }).toNumber() + 1);
        ParaLifecycles.put(s, p.paraId, "Parachain");
      }
    },
  };
}

/** The `Paras` pallet instance type. */
export type ParasPallet = ReturnType<typeof createParas>;
