import { paraSlotFromRelaySlot } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { BlockExecutionError } from "../frame/errors.js";
import type { Pallet } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";
import type { AuraPallet } from "../pallets/aura.js";
import type { ParaRuntimeConfig } from "./config.js";

export { type AuraConfig, type AuraPallet, createAura } from "../pallets/aura.js";

/** `UnincludedSegmentCapacity`: a number, or "expect the parent included" (behaves as 1). */
export type SegmentCapacity = { kind: "Value"; value: number } | { kind: "ExpectParentIncluded" };

/** The capacity as a number (`ExpectParentIncluded` is 1). */
export function capacityValue(c: SegmentCapacity): number {
  return c.kind === "Value" ? c.value : 1;
}

/**
 * `cumulus_pallet_aura_ext` with the current `FixedVelocityConsensusHook` (polkadot-sdk#6825, relay slot
 * based velocity): at most `velocity + 1` blocks per relay slot, the relay slot never moving backwards, the
 * para slot not ahead of the relay slot, and capacity `max(C, 1)`. Also `can_build_upon`, the collator's
 * pre-check (`AuraUnincludedSegmentApi`).
 */
export function createAuraExt(
  registry: TypeRegistry,
  index: number,
  deps: {
    aura: AuraPallet;
    cfg: ParaRuntimeConfig;
    segmentSizeAfter: (s: StateAccess, includedHash: Uint8Array) => number;
  },
) {
  const P = "AuraExt";
  const RelaySlotInfo = new StorageValue(registry, P, "RelaySlotInfo", "(u64, u32)", {
    modifier: "Optional",
    docs: ["Current relay chain slot paired with a number of authored blocks (FixedVelocityConsensusHook)."],
  });
  const velocity = Math.max(deps.cfg.velocity, 1);
  const capacity = Math.max(deps.cfg.unincludedSegmentCapacity, 1);

  function slotInfo(s: StateAccess): [bigint, number] | undefined {
    const v = RelaySlotInfo.getOption(s) as unknown as [Codec, Codec] | undefined;
    if (!v) return undefined;
    return [
      (v[0] as unknown as { toBigInt(): bigint }).toBigInt(),
      (v[1] as unknown as { toNumber(): number }).toNumber(),
    ];
  }

  /** `ConsensusHook::on_state_proof`: called part-way through `set_validation_data` with the relay slot. */
  function onStateProof(ctx: BlockContext, relaySlot: bigint): SegmentCapacity {
    const stored = slotInfo(ctx.state);
    let slot = relaySlot;
    let authored = 0;
    if (stored) {
      const [storedSlot, storedAuthored] = stored;
      if (storedSlot === relaySlot) authored = storedAuthored;
      else if (storedSlot > relaySlot) {
        throw new BlockExecutionError(
          { code: "CONSENSUS_HOOK", detail: "relay slot moved backwards" },
          `Slot moved backwards: stored_slot=Slot(${storedSlot}), relay_chain_slot=Slot(${relaySlot})`,
        );
      }
    }
    if (authored > velocity) {
      throw new BlockExecutionError(
        { code: "CONSENSUS_HOOK", detail: "authored blocks limit" },
        `authored blocks limit is reached for the slot: relay_chain_slot=Slot(${relaySlot}), authored=${authored}, blocks_per_slot=${velocity + 1}`,
      );
    }
    slot = relaySlot;
    RelaySlotInfo.put(ctx.state, [slot, authored + 1]);
    const paraSlot = deps.aura.currentSlot(ctx.state);
    const paraFromRelay = paraSlotFromRelaySlot(relaySlot, deps.cfg.relaySlotDurationMs, deps.cfg.paraSlotDurationMs);
    if (paraSlot > paraFromRelay) {
      throw new BlockExecutionError(
        { code: "CONSENSUS_HOOK", detail: "para slot ahead of relay slot" },
        `Parachain slot is too far in the future: parachain_slot=Slot(${paraSlot}), derived_from_relay_slot=Slot(${paraFromRelay}) velocity=${velocity}`,
      );
    }
    return { kind: "Value", value: capacity };
  }

  /**
   * `can_build_upon(included_hash, new_slot)` (runtime API v2: `new_slot` is the relay slot), evaluated on
   * the state of the block to build on.
   */
  function canBuildUpon(s: StateAccess, includedHash: Uint8Array, newRelaySlot: bigint): boolean {
    const info = slotInfo(s);
    if (!info) return true;
    // "can never author when the unincluded segment is full"
    if (deps.segmentSizeAfter(s, includedHash) >= capacity) return false;
    const [lastSlot, authored] = info;
    if (lastSlot === newRelaySlot) return authored < velocity + 1;
    return lastSlot < newRelaySlot;
  }

  const pallet: Pallet = { name: P, index, crate: "cumulus_pallet_aura_ext", storage: [RelaySlotInfo] };
  return { pallet, storage: { RelaySlotInfo }, onStateProof, canBuildUpon, slotInfo, velocity, capacity };
}

/** The `AuraExt` pallet instance type. */
export type AuraExtPallet = ReturnType<typeof createAuraExt>;
