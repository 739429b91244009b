import type { TypeRegistry } from "@polkadot/types";
import { createAura } from "../pallets/aura.js";

/**
 * The relay chain's Aura-style authoring (BABE upstream): `pallet_aura` with one block per slot, the slot stored
 * in `Aura.CurrentSlot` where parachains read it from relay state proofs.
 */
export function createRelayAura(registry: TypeRegistry, index: number, cfg: { slotDurationMs: number }) {
  return createAura(registry, index, { slotDurationMs: cfg.slotDurationMs, allowMultipleBlocksPerSlot: false });
}

/** The relay `Aura` pallet instance type. */
export type RelayAuraPallet = ReturnType<typeof createRelayAura>;
