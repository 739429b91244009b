import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { DispatchError } from "../frame/errors.js";
import { type Pallet, palletErrors, palletEvents, u128Le, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";
import { ACCOUNT_FLAGS_NEW_LOGIC, ensureRoot, ensureSigned, type SystemPallet } from "./system.js";

/** What a balance change may do to the account it draws from. */
export type Existence = "KeepAlive" | "AllowDeath";

/** Ref-time of a balance transfer's dispatch (on top of the extrinsic base weight); from bench/runtime. */
export const TRANSFER_WEIGHT = 60n * WEIGHT_REF_TIME_PER_MICROS;

/**
 * `pallet_balances` with the account data kept in `System.Account` (as Astar and most parachains do):
 * transfers, existential deposit and account reaping, issuance tracking, and the deposit/withdraw/mint
 * primitives other pallets use (fees, inflation payouts, collator rewards).
 */
export function createBalances(
  registry: TypeRegistry,
  index: number,
  system: SystemPallet,
  cfg: { existentialDeposit: bigint },
) {
  const P = "Balances";
  const ED = cfg.existentialDeposit;
  const TotalIssuance = new StorageValue(registry, P, "TotalIssuance", "u128", {
    docs: ["The total units issued in the system."],
  });
  const InactiveIssuance = new StorageValue(registry, P, "InactiveIssuance", "u128", {
    docs: ["The total units of outstanding deactivated balance in the system."],
  });
  const errors = palletErrors(P, index, [
    "VestingBalance",
    "LiquidityRestrictions",
    "InsufficientBalance",
    "ExistentialDeposit",
    "Expendability",
    "ExistingVestingSchedule",
    "DeadAccount",
    "TooManyReserves",
    "TooManyHolds",
    "TooManyFreezes",
    "IssuanceDeactivated",
    "DeltaZero",
  ] as const);
  const acc = (name: string) => ({ name, type: "AccountId32", typeName: "T::AccountId" });
  const bal = (name: string) => ({ name, type: "u128", typeName: "T::Balance" });
  const events = palletEvents(registry, P, index, [
    {
      name: "Endowed",
      fields: [acc("account"), bal("free_balance")],
      docs: ["An account was created with some free balance."],
    },
    {
      name: "DustLost",
      fields: [acc("account"), bal("amount")],
      docs: ["An account was removed whose balance was non-zero but below ExistentialDeposit."],
    },
    { name: "Transfer", fields: [acc("from"), acc("to"), bal("amount")], docs: ["Transfer succeeded."] },
    { name: "BalanceSet", fields: [acc("who"), bal("free")], docs: ["A balance was set by root."] },
    {
      name: "Deposit",
      fields: [acc("who"), bal("amount")],
      docs: ["Some amount was deposited (e.g. for transaction fees)."],
    },
    {
      name: "Withdraw",
      fields: [acc("who"), bal("amount")],
      docs: ["Some amount was withdrawn from the account (e.g. for transaction fees)."],
    },
    { name: "Minted", fields: [acc("who"), bal("amount")], docs: ["Some amount was minted into an account."] },
    { name: "Burned", fields: [acc("who"), bal("amount")], docs: ["Some amount was burned from an account."] },
    {
      name: "Issued",
      fields: [bal("amount")],
      docs: ["Total issuance was increased by `amount`, creating a credit to be balanced."],
    },
  ] as const);

  const totalIssuance = (s: StateAccess) => (TotalIssuance.get(s) as unknown as { toBigInt(): bigint }).toBigInt();
  const setTotalIssuance = (s: StateAccess, v: bigint) => TotalIssuance.putRaw(s, u128Le(v));

  function free(s: StateAccess, who: Uint8Array): bigint {
    return system.account(s, who).free;
  }

  /** Adds to `who`'s free balance; a new account needs at least ED (`ExistentialDeposit`). */
  function deposit(ctx: BlockContext, who: Uint8Array, amount: bigint, emit = true): void {
    if (amount === 0n) return;
    const s = ctx.state;
    const a = system.account(s, who);
    const wasDead = a.providers === 0;
    if (wasDead && amount < ED) throw errors.error("ExistentialDeposit");
    a.free += amount;
    if (wasDead) {
      a.providers = 1;
      a.flags |= ACCOUNT_FLAGS_NEW_LOGIC;
    }
    system.setAccount(s, who, a);
    if (wasDead) {
      system.events.emit(ctx, "NewAccount", who);
      events.emit(ctx, "Endowed", who, a.free);
    }
    if (emit) events.emit(ctx, "Deposit", who, amount);
  }

  /**
   * Takes from `who`'s free balance. KeepAlive refuses to go below ED (`Expendability`); AllowDeath reaps
   * the account when what remains is below ED, losing the dust (`DustLost`, issuance reduced).
   */
  function withdraw(ctx: BlockContext, who: Uint8Array, amount: bigint, existence: Existence, emit = true): void {
    const s = ctx.state;
    const a = system.account(s, who);
    if (a.free < amount) throw errors.error("InsufficientBalance");
    const remaining = a.free - amount;
    if (remaining < a.frozen) throw errors.error("LiquidityRestrictions");
    // KeepAlive: the account must survive (FRAME `Preservation::Preserve`).
    if (existence === "KeepAlive" && remaining < ED) throw errors.error("Expendability");
    a.free = remaining;
    if (emit && amount > 0n) events.emit(ctx, "Withdraw", who, amount);
    if (remaining < ED && a.reserved === 0n) {
      // Reap: below ED with nothing reserved.
      if (a.consumers > 0) throw new DispatchError({ kind: "ConsumerRemaining" });
      if (remaining > 0n) {
        setTotalIssuance(s, totalIssuance(s) - remaining);
        events.emit(ctx, "DustLost", who, remaining);
      }
      system.setAccount(s, who, { ...a, free: 0n, providers: 0 });
      system.events.emit(ctx, "KilledAccount", who);
      return;
    }
    system.setAccount(s, who, a);
  }

  /** Moves `amount` from `from` to `to`. */
  function transfer(ctx: BlockContext, from: Uint8Array, to: Uint8Array, amount: bigint, existence: Existence): void {
    if (amount === 0n || Buffer.compare(Buffer.from(from), Buffer.from(to)) === 0) {
      events.emit(ctx, "Transfer", from, to, amount);
      return;
    }
    withdraw(ctx, from, amount, existence, false);
    deposit(ctx, to, amount, false);
    events.emit(ctx, "Transfer", from, to, amount);
  }

  /** Creates new units in `who`'s account (issuance grows): inflation payouts. */
  function mint(ctx: BlockContext, who: Uint8Array, amount: bigint): void {
    if (amount === 0n) return;
    deposit(ctx, who, amount, false);
    setTotalIssuance(ctx.state, totalIssuance(ctx.state) + amount);
    events.emit(ctx, "Minted", who, amount);
  }

  const lookup = (args: readonly Codec[], i: number) => lookupAddress(args[i]!);
  const amountOf = (c: Codec) => (c as unknown as { toBigInt(): bigint }).toBigInt();
  const transferWeight = () => TRANSFER_WEIGHT;

  const pallet: Pallet = {
    name: P,
    index,
    crate: "pallet_balances",
    storage: [TotalIssuance, InactiveIssuance],
    calls: [
      {
        name: "transfer_allow_death",
        index: 0,
        args: [
          { name: "dest", type: "MultiAddress", typeName: "AccountIdLookupOf<T>" },
          { name: "value", type: "Compact<u128>", typeName: "T::Balance" },
        ],
        docs: ["Transfer some liquid free balance to another account; the sender may be reaped."],
        weight: transferWeight,
        dispatch(ctx, origin, args) {
          transfer(ctx, ensureSigned(origin), lookup(args, 0), amountOf(args[1]!), "AllowDeath");
        },
      },
      {
        name: "force_transfer",
        index: 2,
        args: [
          { name: "source", type: "MultiAddress", typeName: "AccountIdLookupOf<T>" },
          { name: "dest", type: "MultiAddress", typeName: "AccountIdLookupOf<T>" },
          { name: "value", type: "Compact<u128>", typeName: "T::Balance" },
        ],
        docs: [
          "Exactly as `transfer_allow_death`, except the origin must be root and the source account may be specified.",
        ],
        weight: transferWeight,
        dispatch(ctx, origin, args) {
          ensureRoot(origin);
          transfer(ctx, lookup(args, 0), lookup(args, 1), amountOf(args[2]!), "AllowDeath");
        },
      },
      {
        name: "transfer_keep_alive",
        index: 3,
        args: [
          { name: "dest", type: "MultiAddress", typeName: "AccountIdLookupOf<T>" },
          { name: "value", type: "Compact<u128>", typeName: "T::Balance" },
        ],
        docs: ["Same as `transfer_allow_death`, but refuses to kill the sender account."],
        weight: transferWeight,
        dispatch(ctx, origin, args) {
          transfer(ctx, ensureSigned(origin), lookup(args, 0), amountOf(args[1]!), "KeepAlive");
        },
      },
      {
        name: "transfer_all",
        index: 4,
        args: [
          { name: "dest", type: "MultiAddress", typeName: "AccountIdLookupOf<T>" },
          { name: "keep_alive", type: "bool", typeName: "bool" },
        ],
        docs: ["Transfer the entire transferable balance from the caller account."],
        weight: transferWeight,
        dispatch(ctx, origin, args) {
          const from = ensureSigned(origin);
          const keepAlive = (args[1] as unknown as { isTrue: boolean }).isTrue;
          const a = system.account(ctx.state, from);
          const spendable = a.free > a.frozen ? a.free - a.frozen : 0n;
          const amount = keepAlive ? (spendable > ED ? spendable - ED : 0n) : spendable;
          transfer(ctx, from, lookup(args, 0), amount, keepAlive ? "KeepAlive" : "AllowDeath");
        },
      },
      {
        name: "force_set_balance",
        index: 8,
        args: [
          { name: "who", type: "MultiAddress", typeName: "AccountIdLookupOf<T>" },
          { name: "new_free", type: "Compact<u128>", typeName: "T::Balance" },
        ],
        docs: ["Set the regular balance of a given account (root)."],
        weight: transferWeight,
        dispatch(ctx, origin, args) {
          ensureRoot(origin);
          const who = lookup(args, 0);
          const target = amountOf(args[1]!);
          const current = free(ctx.state, who);
          if (target > current) mint(ctx, who, target - current);
          else if (target < current) {
            withdraw(ctx, who, current - target, "AllowDeath", false);
            setTotalIssuance(ctx.state, totalIssuance(ctx.state) - (current - target));
          }
          events.emit(ctx, "BalanceSet", who, target);
        },
      },
    ],
    events: events.meta,
    errors: errors.meta,
    constants: [
      {
        name: "ExistentialDeposit",
        type: "u128",
        value: u128Le(ED),
        docs: ["The minimum amount required to keep an account open."],
      },
      { name: "MaxLocks", type: "u32", value: registry.createType("u32", 50).toU8a() },
      { name: "MaxReserves", type: "u32", value: registry.createType("u32", 50).toU8a() },
      { name: "MaxFreezes", type: "u32", value: registry.createType("u32", 0).toU8a() },
    ],
  };

  return {
    pallet,
    errors,
    events,
    existentialDeposit: ED,
    storage: { TotalIssuance, InactiveIssuance },
    totalIssuance,
    setTotalIssuance,
    free,
    deposit,
    withdraw,
    transfer,
    mint,

    /** Genesis: endows accounts and sets total issuance (no events at genesis). */
    genesis(s: StateAccess, balances: ReadonlyArray<readonly [Uint8Array, bigint]>): void {
      let total = 0n;
      for (const [who, amount] of balances) {
        if (amount < ED)
          throw new TypeError(`genesis balance below the existential deposit for ${Buffer.from(who).toString("hex")}`);
        const a = system.account(s, who);
        system.setAccount(s, who, { ...a, free: a.free + amount, providers: 1, flags: ACCOUNT_FLAGS_NEW_LOGIC });
        total += amount;
      }
      setTotalIssuance(s, totalIssuance(s) + total);
    },
  };
}

/** The `Balances` pallet instance type. */
export type BalancesPallet = ReturnType<typeof createBalances>;

/** Resolves a `MultiAddress` argument to an account id (`Id` and `Address32`); other forms cannot be looked up. */
export function lookupAddress(arg: Codec): Uint8Array {
  // Enum classes built from metadata expose `type`/`value` (not always `isId`/`asId`).
  const a = arg as unknown as { type: string; value: Codec };
  if (a.type === "Id" || a.type === "Address32") return a.value.toU8a();
  throw new DispatchError({ kind: "CannotLookup" });
}
