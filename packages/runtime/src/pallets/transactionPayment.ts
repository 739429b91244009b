import type { TypeRegistry } from "@polkadot/types";
import type { BlockContext } from "../frame/context.js";
import { DispatchError, TransactionValidityError } from "../frame/errors.js";
import { type DispatchClass, type Pallet, palletEvents, u128Le } from "../frame/pallet.js";
import { StorageValue } from "../frame/storage.js";
import type { BalancesPallet } from "./balances.js";

/** Fee parameters (Astar-like magnitudes: a transfer costs about 0.001 ASTR). */
export interface FeeParams {
  /** Planck per encoded byte. */
  byteFee: bigint;
  /** Planck per ref-time unit (linear `WeightToFee`). */
  weightFeePerRefTime: bigint;
  /** Multiplier for Operational tips in the priority (FRAME `OperationalFeeMultiplier`). */
  operationalFeeMultiplier: number;
}

/** Default fees: 0.1 µASTR per byte, 2e6 planck per ref-time unit. */
export const DEFAULT_FEES: FeeParams = {
  byteFee: 100_000_000_000n,
  weightFeePerRefTime: 2_000_000n,
  operationalFeeMultiplier: 5,
};

/**
 * `pallet_transaction_payment`: length fee + weight fee (+ tip), withdrawn before dispatch, handed to
 * `onFee` (the runtime sends fees to the collators' reward pot). `query_info` uses the same formula.
 */
export function createTransactionPayment(
  registry: TypeRegistry,
  index: number,
  balances: BalancesPallet,
  cfg: { fees: FeeParams; onFee: (ctx: BlockContext, fee: bigint) => void },
) {
  const P = "TransactionPayment";
  // FixedU128 multiplier: fixed at 1 (no fee adjustment on a devnet; stored so clients can read it).
  const NextFeeMultiplier = new StorageValue(registry, P, "NextFeeMultiplier", "u128", {
    fallback: u128Le(1_000_000_000_000_000_000n),
    docs: ["The fee multiplier (FixedU128), 1 on parapipe."],
  });
  const events = palletEvents(registry, P, index, [
    {
      name: "TransactionFeePaid",
      fields: [
        { name: "who", type: "AccountId32", typeName: "T::AccountId" },
        { name: "actual_fee", type: "u128", typeName: "BalanceOf<T>" },
        { name: "tip", type: "u128", typeName: "BalanceOf<T>" },
      ],
      docs: [
        "A transaction fee `actual_fee`, of which `tip` was added to the minimum inclusion fee, has been paid by `who`.",
      ],
    },
  ] as const);

  /** The fee for an extrinsic of `length` bytes and total weight `weight` (base included), plus the tip. */
  function computeFee(length: number, weight: bigint, tip: bigint, paysFee = true): bigint {
    if (!paysFee) return tip;
    return BigInt(length) * cfg.fees.byteFee + weight * cfg.fees.weightFeePerRefTime + tip;
  }

  /** Withdraws the fee before dispatch; an account that cannot pay makes the transaction invalid (Payment). */
  function withdrawFee(ctx: BlockContext, who: Uint8Array, fee: bigint, tip: bigint): void {
    if (fee === 0n) return;
    try {
      balances.withdraw(ctx, who, fee, "KeepAlive");
    } catch (e) {
      if (e instanceof DispatchError) {
        throw new TransactionValidityError({
          kind: "Invalid",
          reason: "Payment",
          detail: `cannot pay fee ${fee}: ${e.message}`,
        });
      }
      throw e;
    }
    cfg.onFee(ctx, fee);
    events.emit(ctx, "TransactionFeePaid", who, fee, tip);
  }

  /** Transaction priority as FRAME computes it (tip-based; Operational boosted). */
  function priority(tip: bigint, dispatchClass: DispatchClass): bigint {
    return dispatchClass === "Operational" ? tip * BigInt(cfg.fees.operationalFeeMultiplier) + tip : tip;
  }

  const pallet: Pallet = {
    name: P,
    index,
    crate: "pallet_transaction_payment",
    storage: [NextFeeMultiplier],
    events: events.meta,
    constants: [
      { name: "OperationalFeeMultiplier", type: "u8", value: new Uint8Array([cfg.fees.operationalFeeMultiplier]) },
    ],
  };
  return { pallet, computeFee, withdrawFee, priority, fees: cfg.fees };
}

/** The `TransactionPayment` pallet instance type. */
export type TransactionPaymentPallet = ReturnType<typeof createTransactionPayment>;
