import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../frame/context.js";
import { ensure } from "../frame/errors.js";
import { type Pallet, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { StorageValue } from "../frame/storage.js";
import { ensureNone } from "./system.js";

/**
 * `pallet_timestamp`: the `set` inherent, once per block, never going backwards. With async backing
 * `MinimumPeriod` is 0 (several parablocks may share a timestamp's slot) and `OnTimestampSet` is Aura, which
 * checks the timestamp is in the block's slot.
 */
export function createTimestamp(
  registry: TypeRegistry,
  index: number,
  cfg: { minimumPeriodMs: bigint; onTimestampSet: (ctx: BlockContext, nowMs: bigint) => void },
) {
  const P = "Timestamp";
  const Now = new StorageValue(registry, P, "Now", "u64", { docs: ["The current time for the current block."] });
  const DidUpdate = new StorageValue(registry, P, "DidUpdate", "bool", {
    docs: ["Whether the timestamp has been updated in this block."],
  });
  const toBig = (c: Codec) => (c as unknown as { toBigInt(): bigint }).toBigInt();

  const pallet: Pallet = {
    name: P,
    index,
    crate: "pallet_timestamp",
    storage: [Now, DidUpdate],
    inherents: ["set"],
    calls: [
      {
        name: "set",
        index: 0,
        args: [{ name: "now", type: "Compact<u64>", typeName: "T::Moment" }],
        docs: ["Set the current time (inherent)."],
        dispatchClass: "Mandatory",
        paysFee: false,
        weight: () => 5n * WEIGHT_REF_TIME_PER_MICROS,
        dispatch(ctx, origin, args) {
          ensureNone(origin);
          const now = toBig(args[0]!);
          ensure(
            !DidUpdate.exists(ctx.state),
            { code: "INHERENT_FAILED", index: 0, detail: "double set" },
            "Timestamp must be updated only once in the block",
          );
          const prev = toBig(Now.get(ctx.state));
          ensure(
            prev === 0n || now >= prev + cfg.minimumPeriodMs,
            {
              code: "INHERENT_FAILED",
              index: 0,
              detail: `timestamp ${now} < previous ${prev} + ${cfg.minimumPeriodMs}`,
            },
            "Timestamp must increment by at least <MinimumPeriod> between sequential blocks",
          );
          Now.put(ctx.state, now);
          DidUpdate.put(ctx.state, true);
          cfg.onTimestampSet(ctx, now);
        },
      },
    ],
    constants: [{ name: "MinimumPeriod", type: "u64", value: registry.createType("u64", cfg.minimumPeriodMs).toU8a() }],
    onFinalize(ctx) {
      ensure(
        DidUpdate.exists(ctx.state),
        { code: "MISSING_INHERENT", inherent: "timestamp.set" },
        "Timestamp must be updated once in the block",
      );
      DidUpdate.kill(ctx.state);
    },
  };
  return { pallet, storage: { Now, DidUpdate }, now: (s: Parameters<typeof Now.get>[0]) => toBig(Now.get(s)) };
}
