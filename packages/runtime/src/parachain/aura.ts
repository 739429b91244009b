import { findAuraSlot, paraSlotFromRelaySlot, slotAuthor } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { BlockExecutionError, ensure } from "../frame/errors.js";
import { type Pallet, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";
import type { ParaRuntimeConfig } from "./config.js";

/**
 * `pallet_aura` for the parachain: the slot from the block's PreRuntime digest, `CurrentSlot`, the
 * authority set, and the `OnTimestampSet` check that the timestamp is in the block's slot.
 */
export function createAura(registry: TypeRegistry, index: number, cfg: ParaRuntimeConfig) {
  const P = "Aura";
  const Authorities = new StorageValue(registry, P, "Authorities", "Vec<AccountId32>", {
    docs: ["The current authority set (sr25519 public keys)."],
  });
  const CurrentSlot = new StorageValue(registry, P, "CurrentSlot", "u64", {
    docs: ["The current slot of this block."],
  });
  const big = (c: Codec) => (c as unknown as { toBigInt(): bigint }).toBigInt();

  function authorities(s: StateAccess): Uint8Array[] {
    return (Authorities.get(s) as unknown as Codec[]).map((a) => a.toU8a());
  }

  const pallet: Pallet = {
    name: P,
    index,
    crate: "pallet_aura",
    storage: [Authorities, CurrentSlot],
    constants: [
      {
        name: "SlotDuration",
        type: "u64",
        value: registry.createType("u64", cfg.paraSlotDurationMs).toU8a(),
        docs: ["The slot duration Aura should run with, in milliseconds."],
      },
    ],
    onInitialize(ctx) {
      const slot = findAuraSlot(ctx.header);
      if (slot === undefined) {
        throw new BlockExecutionError(
          { code: "RUNTIME_PANIC", detail: "no aura pre-runtime digest" },
          "No Aura pre-runtime digest in the header",
        );
      }
      const current = big(CurrentSlot.get(ctx.state));
      if (cfg.allowMultipleBlocksPerSlot) {
        ensure(
          current <= slot,
          { code: "CONSENSUS_HOOK", detail: `slot ${slot} < current ${current}` },
          "Slot must not decrease",
        );
      } else {
        ensure(
          current < slot,
          { code: "CONSENSUS_HOOK", detail: `slot ${slot} <= current ${current}` },
          "Slot must increase",
        );
      }
      CurrentSlot.put(ctx.state, slot);
      return 2n * WEIGHT_REF_TIME_PER_MICROS;
    },
  };

  return {
    pallet,
    storage: { Authorities, CurrentSlot },
    authorities,
    currentSlot: (s: StateAccess) => big(CurrentSlot.get(s)),
    /** The expected author of a slot. */
    authorOf(s: StateAccess, slot: bigint): Uint8Array | undefined {
      return slotAuthor(slot, authorities(s));
    },
    /** `OnTimestampSet = Aura`: the timestamp must fall in `CurrentSlot`. */
    onTimestampSet(ctx: BlockContext, nowMs: bigint): void {
      const slot = nowMs / BigInt(cfg.paraSlotDurationMs);
      const current = big(CurrentSlot.get(ctx.state));
      ensure(
        current === slot,
        { code: "INHERENT_FAILED", index: 0, detail: `timestamp slot ${slot} != CurrentSlot ${current}` },
        "Timestamp slot must match `CurrentSlot`",
      );
    },
    genesis(s: StateAccess, auths: readonly Uint8Array[]): void {
      Authorities.put(s, auths);
    },
  };
}

/** The `Aura` pallet instance type. */
export type AuraPallet = ReturnType<typeof createAura>;

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
