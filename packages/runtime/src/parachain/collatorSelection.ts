import { concatBytes } from "@parapipe/primitives";
import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { type Pallet, palletErrors, palletEvents, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { type StateAccess, StorageMap, StorageValue } from "../frame/storage.js";
import type { BalancesPallet } from "../pallets/balances.js";
import { ensureRoot } from "../pallets/system.js";

/** `PalletId(id).into_account_truncating()`: "modl" ++ the 8-byte id, zero padded to 32 bytes. */
export function palletAccount(id: string): Uint8Array {
  const out = new Uint8Array(32);
  out.set(concatBytes(new TextEncoder().encode("modl"), new TextEncoder().encode(id)).subarray(0, 32));
  return out;
}

/** Astar's collator reward pot: `PalletId(*b"PotStake")`. */
export const POT_ACCOUNT = palletAccount("PotStake");

/**
 * Astar's `pallet_collator_selection` (invulnerables only): the block author is rewarded with
 * `(pot - ED) / 2` each block (`note_author`), the pot being fed by inflation and fees.
 */
export function createCollatorSelection(registry: TypeRegistry, index: number, deps: { balances: BalancesPallet }) {
  const P = "CollatorSelection";
  const Invulnerables = new StorageValue(registry, P, "Invulnerables", "Vec<AccountId32>", {
    docs: ["The invulnerable, permissioned collators."],
  });
  const LastAuthoredBlock = new StorageMap(registry, P, "LastAuthoredBlock", "Twox64Concat", "AccountId32", "u32", {
    docs: ["Last block authored by collator."],
  });
  const errors = palletErrors(P, index, ["TooManyInvulnerables", "NoAssociatedValidatorId"] as const);
  const events = palletEvents(registry, P, index, [
    {
      name: "NewInvulnerables",
      fields: [{ name: "invulnerables", type: "Vec<AccountId32>", typeName: "Vec<T::AccountId>" }],
    },
  ] as const);

  const pallet: Pallet = {
    name: P,
    index,
    crate: "pallet_collator_selection",
    storage: [Invulnerables, LastAuthoredBlock],
    calls: [
      {
        name: "set_invulnerables",
        index: 0,
        args: [{ name: "new", type: "Vec<AccountId32>", typeName: "Vec<T::AccountId>" }],
        docs: ["Set the list of invulnerable (fixed) collators (root)."],
        weight: () => 20n * WEIGHT_REF_TIME_PER_MICROS,
        dispatch(ctx, origin, args) {
          ensureRoot(origin);
          const list = (args[0] as unknown as Codec[]).map((c) => c.toU8a());
          if (list.length > 100) throw errors.error("TooManyInvulnerables");
          Invulnerables.put(ctx.state, list);
          events.emit(ctx, "NewInvulnerables", list);
        },
      },
    ],
    events: events.meta,
    errors: errors.meta,
    constants: [{ name: "PotId", type: "[u8; 8]", value: new TextEncoder().encode("PotStake") }],
  };

  return {
    pallet,
    storage: { Invulnerables, LastAuthoredBlock },
    /** `EventHandler::note_author`: pays the author half of the pot above ED. */
    noteAuthor(ctx: BlockContext, author: Uint8Array): void {
      const ed = deps.balances.existentialDeposit;
      const pot = deps.balances.free(ctx.state, POT_ACCOUNT);
      const reward = pot > ed ? (pot - ed) / 2n : 0n;
      if (reward > 0n) deps.balances.transfer(ctx, POT_ACCOUNT, author, reward, "KeepAlive");
      LastAuthoredBlock.put(ctx.state, author, ctx.number);
    },
    genesis(s: StateAccess, invulnerables: readonly Uint8Array[]): void {
      Invulnerables.put(s, invulnerables);
    },
  };
}
