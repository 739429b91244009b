import { findAuraSlot, slotAuthor } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { BlockExecutionError, ensure } from "../frame/errors.js";
import { type Pallet, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";

/**
 * Relay-chain slot authoring, Aura-style (parapipe's simplification of BABE): the author of slot `s` is
 * `Authorities[s % n]`, one block per slot, the slot strictly increasing. `CurrentSlot` is stored under
 * `twox128("Aura") ++ twox128("CurrentSlot")`, the key parachains read the relay slot from (`relayKeys.currentSlot`).
 */
export function createRelayAura(registry: TypeRegistry, index: number, cfg: { slotDurationMs: number }) {
  const P = "Aura";
  const Authorities = new StorageValue(registry, P, "Authorities", "Vec<AccountId32>", {
    docs: ["The current authority set: the validators (sr25519 public keys)."],
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
        docs: ["The relay slot duration, in milliseconds."],
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
      // One relay block per slot (no AllowMultipleBlocksPerSlot on the relay chain).
      ensure(
        current < slot,
        { code: "CONSENSUS_HOOK", detail: `slot ${slot} <= current ${current}` },
        "Slot must increase",
      );
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
    /** `OnTimestampSet`: the timestamp must fall in `CurrentSlot`. */
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

/** The relay `Aura` pallet instance type. */
export type RelayAuraPallet = ReturnType<typeof createRelayAura>;
