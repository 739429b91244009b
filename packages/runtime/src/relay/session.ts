import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import { type Pallet, palletEvents, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";

/**
 * `pallet_session` reduced to what parapipe needs: one session (index 0) for the life of the chain, with
 * the genesis validator set. `NewSession { session_index: 0 }` is emitted in block 1, when the genesis
 * session starts (upstream emits it when the initializer applies the genesis session change).
 */
export function createSession(registry: TypeRegistry, index: number) {
  const P = "Session";
  const Validators = new StorageValue(registry, P, "Validators", "Vec<AccountId32>", {
    docs: ["The current set of validators."],
  });
  const CurrentIndex = new StorageValue(registry, P, "CurrentIndex", "u32", {
    docs: ["Current index of the session."],
  });
  const events = palletEvents(registry, P, index, [
    {
      name: "NewSession",
      fields: [{ name: "session_index", type: "u32", typeName: "SessionIndex" }],
      docs: ["New session has happened."],
    },
  ] as const);

  const pallet: Pallet = {
    name: P,
    index,
    crate: "pallet_session",
    storage: [Validators, CurrentIndex],
    events: events.meta,
    onInitialize(ctx) {
      if (ctx.number === 1) events.emit(ctx, "NewSession", CurrentIndex.get(ctx.state));
      return WEIGHT_REF_TIME_PER_MICROS;
    },
  };

  return {
    pallet,
    events,
    storage: { Validators, CurrentIndex },
    validators(s: StateAccess): Uint8Array[] {
      return (Validators.get(s) as unknown as Codec[]).map((v) => v.toU8a());
    },
    currentIndex(s: StateAccess): number {
      return (CurrentIndex.get(s) as unknown as { toNumber(): number }).toNumber();
    },
    genesis(s: StateAccess, validators: readonly Uint8Array[]): void {
      Validators.put(s, validators);
      CurrentIndex.put(s, 0);
    },
  };
}

/** The `Session` pallet instance type. */
export type SessionPallet = ReturnType<typeof createSession>;
