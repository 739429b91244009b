/**
 * Byzantine collations, for tests and dev networks only: a correctly built and sealed parablock turned into a
 * collation validators must refuse, each kind caught by a different check of the candidate pipeline.
 */
import {
  blake2_256,
  decodeExact,
  decodeNode,
  headerHash,
  type Sr25519Keypair,
  scaleBytes,
  sr25519Sign,
  toHex,
  registry as wireRegistry,
  withAuraSeal,
  withoutSeal,
} from "@parapipe/primitives";
import { type BuiltBlock, type ParachainRuntime, validateBlock } from "@parapipe/runtime";
import type { Header } from "@polkadot/types/interfaces";
import type { Codec } from "@polkadot/types/types";

/** The kinds of invalid collation a byzantine collator produces. */
export const BYZANTINE_COLLATION_KINDS = ["badStateRoot", "missingWitness", "wrongParent", "oversizedPov"] as const;

/**
 * What a byzantine collator corrupts:
 * - `badStateRoot`: the header's state root changed and the header re-sealed (the PVF's re-execution finds the
 *   mismatch, not the seal check);
 * - `missingWitness`: one trie node the block touches removed from the PoV's witness;
 * - `wrongParent`: the header names another parent (the grandparent) than the candidate's PVD parent head;
 * - `oversizedPov`: the PoV padded past the relay chain's `maxPovSize`.
 */
export type ByzantineCollationKind = (typeof BYZANTINE_COLLATION_KINDS)[number];

/** A collator's byzantine mode (tests and dev networks only; see `CollatorOptions.byzantine`). */
export interface ByzantineCollatorOptions {
  kind: ByzantineCollationKind;
  /**
   * The Aura key the invalid blocks are sealed with (default: the collator's own key). A test passes the honest
   * collator's key, a compromised authority key, so that the seal check passes and the fault itself is what
   * validators catch.
   */
  auraKey?: Sr25519Keypair;
}

/** An invalid collation's parts: the header it claims (head data) and the PoV. */
export interface CorruptedCollation {
  header: Uint8Array;
  pov: Uint8Array;
}

/**
 * Turns a built block into a collation of `kind`. `parentHeader` is the header the block was built on (the
 * candidate's PVD parent head) at `relayParent`; `sealKey` re-seals a changed header. Returns why not when the block offers
 * nothing to corrupt (a witness with no removable node).
 */
export function corruptCollation(
  rt: ParachainRuntime,
  kind: ByzantineCollationKind,
  built: BuiltBlock,
  parentHeader: Uint8Array,
  relayParent: { number: number; storageRoot: Uint8Array },
  sealKey: Sr25519Keypair,
  maxPovSize: number,
): { ok: true; value: CorruptedCollation } | { ok: false; reason: string } {
  const reg = rt.registry;
  const povOf = (block: Uint8Array, witness: Uint8Array[]) =>
    reg.createType("ParaBlockData", { block, witness: witness.map(scaleBytes) }).toU8a();
  switch (kind) {
    case "badStateRoot":
    case "wrongParent": {
      const unsealed = withoutSeal(reg, built.header);
      const parent = decodeExact<Header>(reg, "Header", parentHeader);
      const changed = reg.createType<Header>("Header", {
        parentHash: kind === "wrongParent" ? parent.parentHash : unsealed.parentHash,
        number: unsealed.number,
        stateRoot: kind === "badStateRoot" ? blake2_256(unsealed.stateRoot.toU8a()) : unsealed.stateRoot,
        extrinsicsRoot: unsealed.extrinsicsRoot,
        digest: { logs: unsealed.digest.logs },
      });
      const header = withAuraSeal(reg, changed, sr25519Sign(sealKey, headerHash(changed)));
      const opaque = decodeExact(reg, "OpaqueBlock", built.block) as unknown as { extrinsics: Codec[] };
      const block = reg.createType("OpaqueBlock", { header, extrinsics: opaque.extrinsics }).toU8a();
      return { ok: true, value: { header: header.toU8a(), pov: povOf(block, built.witness) } };
    }
    case "missingWitness": {
      // A node none of whose children is in the witness (removing it leaves every other node linked), and that
      // the block's re-execution reads: checked with the PVF itself, so the fault is WITNESS_INCOMPLETE.
      const present = new Set(built.witness.map((n) => toHex(blake2_256(n))));
      const leaves = built.witness
        .map((n, i) => ({ n, i }))
        .filter(({ n }) => {
          const children = decodeNode(n)?.children ?? [];
          return children.every((c) => c === undefined || !present.has(toHex(c)));
        })
        .reverse();
      for (const { i } of leaves.slice(0, 8)) {
        const witness = built.witness.filter((_, j) => j !== i);
        const pov = povOf(built.block, witness);
        const r = validateBlock(rt, validationParams(parentHeader, pov, relayParent));
        if (!r.ok && (r.error as { type?: { code?: string } }).type?.code === "WITNESS_INCOMPLETE")
          return { ok: true, value: { header: built.header.toU8a(), pov } };
      }
      return { ok: false, reason: "noRemovableWitnessNode" };
    }
    case "oversizedPov": {
      // One extra witness entry pads the PoV just past the limit; the size check refuses it before any PVF.
      const pad = new Uint8Array(Math.max(0, maxPovSize - built.pov.length) + 1024);
      return { ok: true, value: { header: built.header.toU8a(), pov: povOf(built.block, [...built.witness, pad]) } };
    }
  }
}

/** The PVF's input for a PoV built on `parentHeader` at `relayParent`. */
function validationParams(
  parentHeader: Uint8Array,
  pov: Uint8Array,
  relayParent: { number: number; storageRoot: Uint8Array },
): Uint8Array {
  return wireRegistry
    .createType("ValidationParams", {
      parentHead: scaleBytes(parentHeader),
      blockData: scaleBytes(pov),
      relayParentNumber: relayParent.number,
      relayParentStorageRoot: relayParent.storageRoot,
    })
    .toU8a();
}
