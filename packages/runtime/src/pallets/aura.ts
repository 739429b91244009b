import { findAuraSlot, slotAuthor } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { BlockExecutionError, ensure } from "../frame/errors.js";
import { type Pallet, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";

/** Aura parameters: the slot duration and whether several blocks may share a slot (async backing). */
export interface AuraConfig {
  slotDurationMs: number;
  allowMultipleBlocksPerSlot: boolean;
}

/**
 * `pallet_aura`, for the parachain and the relay runtime: the slot from the block's PreRuntime digest,
 * `CurrentSlot` (never decreasing; strictly increasing unless several blocks may share a slot), the authority
 * set, and the `OnTimestampSet` check that the timestamp is in the block's slot.
 */
export function createAura(registry: TypeRegistry, index: number, cfg: AuraConfig) {
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
        value: registry.createType("u64", cfg.slotDurationMs).toU8a(),
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
      const slot = nowMs / BigInt(cfg.slotDurationMs);
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
