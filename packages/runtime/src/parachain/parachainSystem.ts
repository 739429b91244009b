import { bytesEqual, MissingNodeError, rpsrDigest, toHex } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { BlockExecutionError, ensure } from "../frame/errors.js";
import { type Pallet, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";
import { ensureNone } from "../pallets/system.js";
import { capacityValue, type SegmentCapacity } from "./aura.js";
import type { ParaRuntimeConfig } from "./config.js";
import { readRelayState } from "./relayState.js";

/** What the inherent carries, decoded: the validation data and the relay state proof. */
export interface ValidationDataValue {
  parentHead: Uint8Array;
  relayParentNumber: number;
  relayParentStorageRoot: Uint8Array;
  maxPovSize: number;
}

/**
 * `cumulus_pallet_parachain_system`: the mandatory `set_validation_data` inherent with a relay state proof,
 * the unincluded segment (ancestors dropped once the relay includes their head; a full segment makes the
 * block invalid with the upstream message), the relay-parent number rule
 * (`RelayNumberMonotonicallyIncreases`) and the RPSR digest.
 */
export function createParachainSystem(
  registry: TypeRegistry,
  index: number,
  deps: { cfg: ParaRuntimeConfig; onStateProof: (ctx: BlockContext, relaySlot: bigint) => SegmentCapacity },
) {
  const P = "ParachainSystem";
  const UnincludedSegment = new StorageValue(registry, P, "UnincludedSegment", "Vec<SegmentAncestor>", {
    docs: [
      "Latest included block descendants the runtime accepted, not yet included in the observed relay-chain state.",
    ],
  });
  const ValidationData = new StorageValue(registry, P, "ValidationData", "PersistedValidationData", {
    modifier: "Optional",
    docs: ["The [`PersistedValidationData`] set for this block."],
  });
  const LastRelayChainBlockNumber = new StorageValue(registry, P, "LastRelayChainBlockNumber", "u32", {
    docs: ["The relay chain block number associated with the last parachain block."],
  });
  const DidSetValidationData = "ParachainSystem.didSetValidationData";

  /** The segment as a list of `para_head_hash` (undefined = not yet known: the last block's own entry). */
  function segment(s: StateAccess): Array<Uint8Array | undefined> {
    const v = UnincludedSegment.get(s) as unknown as Array<{ paraHeadHash: { isSome: boolean; unwrap(): Codec } }>;
    return v.map((a) => (a.paraHeadHash.isSome ? a.paraHeadHash.unwrap().toU8a() : undefined));
  }
  function putSegment(s: StateAccess, seg: Array<Uint8Array | undefined>): void {
    UnincludedSegment.put(
      s,
      seg.map((h) => ({ paraHeadHash: h ? toHex(h) : null })),
    );
  }

  /** `size_after_included`: blocks of the segment after the one whose head is `includedHash`. */
  function sizeAfterIncluded(s: StateAccess, includedHash: Uint8Array): number {
    const seg = segment(s);
    const i = seg.findIndex((h) => h !== undefined && bytesEqual(h, includedHash));
    return seg.length - (i + 1);
  }

  /** `maybe_drop_included_ancestors` (polkadot-sdk cumulus/pallets/parachain-system/src/relay_chain/segment.rs). */
  function dropIncludedAncestors(
    ctx: BlockContext,
    includedHeadHash: Uint8Array | undefined,
    capacity: SegmentCapacity,
  ): void {
    const expectingParent = capacity.kind === "ExpectParentIncluded";
    let included: Uint8Array;
    if (includedHeadHash && expectingParent) {
      ensure(
        bytesEqual(includedHeadHash, ctx.parentHash),
        { code: "UNINCLUDED_SEGMENT_FULL", detail: "parent not included" },
        "expected parent to be included",
      );
      included = includedHeadHash;
    } else if (includedHeadHash) included = includedHeadHash;
    else if (expectingParent) included = ctx.parentHash;
    else {
      throw new BlockExecutionError(
        { code: "RELAY_STATE_PROOF_INVALID", detail: "no Paras.Heads entry" },
        "included head not present in relay storage proof",
      );
    }
    let seg = segment(ctx.state);
    const i = seg.findIndex((h) => h !== undefined && bytesEqual(h, included));
    if (i >= 0) seg = seg.slice(i + 1);
    const newLen = seg.length;
    const cap = capacityValue(capacity);
    ensure(
      newLen < cap,
      { code: "UNINCLUDED_SEGMENT_FULL", detail: `segment ${newLen} of capacity ${cap}` },
      `No space left for the block in the unincluded segment: new_len(${newLen}) < capacity(${cap})`,
    );
    putSegment(ctx.state, seg);
  }

  const pallet: Pallet = {
    name: P,
    index,
    crate: "cumulus_pallet_parachain_system",
    storage: [UnincludedSegment, ValidationData, LastRelayChainBlockNumber],
    inherents: ["set_validation_data"],
    calls: [
      {
        name: "set_validation_data",
        index: 0,
        args: [{ name: "data", type: "ParachainInherentData", typeName: "ParachainInherentData" }],
        docs: ["Set the current validation data (inherent); checks the relay state proof and the unincluded segment."],
        dispatchClass: "Mandatory",
        paysFee: false,
        weight: () => 50n * WEIGHT_REF_TIME_PER_MICROS,
        dispatch(ctx, origin, args) {
          ensureNone(origin);
          ensure(
            !ctx.flags.has(DidSetValidationData),
            { code: "INHERENT_FAILED", index: 0, detail: "twice" },
            "ValidationData must be updated only once in a block",
          );
          const data = args[0] as unknown as {
            validationData: {
              parentHead: Codec;
              relayParentNumber: Codec;
              relayParentStorageRoot: Codec;
              maxPovSize: Codec;
            };
            relayChainState: Codec[];
          };
          const vd = data.validationData;
          const relayNumber = (vd.relayParentNumber as unknown as { toNumber(): number }).toNumber();
          const root = vd.relayParentStorageRoot.toU8a();
          const last = (LastRelayChainBlockNumber.get(ctx.state) as unknown as { toNumber(): number }).toNumber();
          // RelayNumberMonotonicallyIncreases: several parablocks may share a relay parent.
          ensure(
            relayNumber >= last,
            { code: "VALIDATION_DATA_MISMATCH", detail: `relay parent ${relayNumber} < previous ${last}` },
            `Relay chain block number needs to monotonically increase between parachain blocks (${relayNumber} < ${last})`,
          );
          let view: ReturnType<typeof readRelayState>;
          try {
            view = readRelayState(
              root,
              data.relayChainState.map((n) => (n as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true)),
              deps.cfg.paraId,
            );
          } catch (e) {
            const detail =
              e instanceof MissingNodeError
                ? `missing node ${toHex(e.type.hash)}`
                : e instanceof Error
                  ? e.message
                  : String(e);
            throw new BlockExecutionError(
              { code: "RELAY_STATE_PROOF_INVALID", detail },
              `Invalid relay chain state proof: ${detail}`,
            );
          }
          const capacity = deps.onStateProof(ctx, view.relaySlot);
          dropIncludedAncestors(ctx, view.includedHeadHash, capacity);
          ValidationData.put(ctx.state, vd);
          LastRelayChainBlockNumber.put(ctx.state, relayNumber);
          ctx.flags.set(DidSetValidationData, true);
          ctx.digestOut.push(rpsrDigest(registry, root, relayNumber).toU8a());
        },
      },
    ],
    onInitialize(ctx) {
      // The previous block's output head is this block's parent hash.
      const seg = segment(ctx.state);
      if (seg.length > 0) {
        seg[seg.length - 1] = ctx.parentHash;
        putSegment(ctx.state, seg);
      }
      ValidationData.kill(ctx.state);
      return 5n * WEIGHT_REF_TIME_PER_MICROS;
    },
    onFinalize(ctx) {
      ensure(
        ctx.flags.has(DidSetValidationData),
        { code: "MISSING_INHERENT", inherent: "parachainSystem.setValidationData" },
        "set_validation_data inherent needs to be present in every block!",
      );
      const seg = segment(ctx.state);
      seg.push(undefined);
      putSegment(ctx.state, seg);
    },
  };

  return {
    pallet,
    storage: { UnincludedSegment, ValidationData, LastRelayChainBlockNumber },
    segment,
    sizeAfterIncluded,
    /** The validation data of the block being executed (after the inherent ran). */
    validationData(s: StateAccess): ValidationDataValue | undefined {
      const v = ValidationData.getOption(s) as unknown as
        | { parentHead: Codec; relayParentNumber: Codec; relayParentStorageRoot: Codec; maxPovSize: Codec }
        | undefined;
      if (!v) return undefined;
      return {
        parentHead: (v.parentHead as unknown as { toU8a(b: boolean): Uint8Array }).toU8a(true),
        relayParentNumber: (v.relayParentNumber as unknown as { toNumber(): number }).toNumber(),
        relayParentStorageRoot: v.relayParentStorageRoot.toU8a(),
        maxPovSize: (v.maxPovSize as unknown as { toNumber(): number }).toNumber(),
      };
    },
  };
}

/** The `ParachainSystem` pallet instance type. */
export type ParachainSystemPallet = ReturnType<typeof createParachainSystem>;
