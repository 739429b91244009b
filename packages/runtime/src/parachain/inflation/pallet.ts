import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import type { BlockContext } from "../../frame/context.js";
import { type Pallet, palletErrors, palletEvents, WEIGHT_REF_TIME_PER_MICROS } from "../../frame/pallet.js";
import { type StateAccess, StorageValue } from "../../frame/storage.js";
import type { BalancesPallet } from "../../pallets/balances.js";
import { ensureRoot } from "../../pallets/system.js";
import { POT_ACCOUNT, palletAccount } from "../collatorSelection.js";
import {
  advanceProtocolState,
  blockPayout,
  bonusRewardPool,
  type CycleConfiguration,
  forceReadjustConfigWithRemainder,
  genesisProtocolState,
  type InflationConfiguration,
  type InflationParameters,
  isValidInflationParameters,
  PERQUINTILL_ONE,
  type ProtocolState,
  type RewardRemainder,
  recalculateInflationWithRemainder,
  recalculationDue,
  settleAndRecalculate,
  stakerAndDappRewardPools,
} from "./math.js";

/** The treasury: `PalletId(*b"py/trsry")`. */
export const TREASURY_ACCOUNT = palletAccount("py/trsry");
/** Where each build&earn era's staker pool is minted (stands in for dApp staking's lazy claims). */
export const STAKER_POT_ACCOUNT = palletAccount("py/stkrs");
/** Where each build&earn era's dApp pool is minted. */
export const DAPP_POT_ACCOUNT = palletAccount("py/dapps");
/** Where each period's bonus pool is minted. */
export const BONUS_POT_ACCOUNT = palletAccount("py/bonus");

/**
 * Astar's `pallet_inflation`, with the era schedule dApp staking drives upstream folded in: per-block
 * collator and treasury payouts, per-era staker and dApp pools and per-period bonus pools minted into pots,
 * recalculation in `on_finalize` of the block before the recalculation era, and parapipe's exact-issuance
 * carry (settled in that same block) so that no planck is lost to floor division.
 */
export function createInflation(
  registry: TypeRegistry,
  index: number,
  deps: { balances: BalancesPallet; cycle: CycleConfiguration },
) {
  const P = "Inflation";
  const cycle = deps.cycle;
  const ActiveInflationConfig = new StorageValue(registry, P, "ActiveInflationConfig", "InflationConfiguration", {
    docs: ["Active inflation configuration parameters: rewards per block and per era."],
  });
  const InflationParams = new StorageValue(registry, P, "InflationParams", "InflationParameters", {
    docs: ["Static inflation parameters, used to calculate the active configuration at each recalculation."],
  });
  const DoRecalculation = new StorageValue(registry, P, "DoRecalculation", "u32", {
    modifier: "Optional",
    docs: ["Set in the block before the recalculation era; the recalculation happens in that block's on_finalize."],
  });
  const Remainder = new StorageValue(registry, P, "RewardRemainder", "RewardRemainder", {
    docs: ["parapipe: what the per-block rewards will not pay by the cycle's end; minted with the recalculation."],
  });
  const ProtocolStateItem = new StorageValue(registry, P, "ProtocolState", "InflationProtocolState", {
    docs: ["The era/period schedule (dApp staking's ProtocolState upstream)."],
  });
  const TotalValueStaked = new StorageValue(registry, P, "TotalValueStaked", "u128", {
    docs: ["Value staked, used for the staker pool's adjustable part (dApp staking's ledger upstream); set by root."],
  });
  const Cycle = new StorageValue(registry, P, "CycleConfiguration", "CycleConfiguration", {
    docs: ["Periods per cycle, eras per subperiod and blocks per era (from the chain spec)."],
  });

  const storage = {
    ActiveInflationConfig,
    InflationParams,
    DoRecalculation,
    Remainder,
    ProtocolStateItem,
    TotalValueStaked,
    Cycle,
  };
  const errors = palletErrors(P, index, ["InvalidInflationParameters"] as const);
  const events = palletEvents(registry, P, index, [
    { name: "InflationParametersForceChanged", fields: [] },
    { name: "InflationConfigurationForceChanged", fields: [{ name: "config", type: "InflationConfiguration" }] },
    { name: "ForcedInflationRecalculation", fields: [{ name: "config", type: "InflationConfiguration" }] },
    { name: "NewInflationConfiguration", fields: [{ name: "config", type: "InflationConfiguration" }] },
    {
      name: "EraRewardsMinted",
      fields: [
        { name: "era", type: "u32" },
        { name: "stakers", type: "u128", typeName: "Balance" },
        { name: "dapps", type: "u128", typeName: "Balance" },
      ],
      docs: ["parapipe: a build&earn era ended and its staker and dApp pools were minted into their pots."],
    },
    {
      name: "BonusRewardMinted",
      fields: [
        { name: "period", type: "u32" },
        { name: "amount", type: "u128", typeName: "Balance" },
      ],
    },
    {
      name: "RemainderSettled",
      fields: [
        { name: "collator", type: "u128", typeName: "Balance" },
        { name: "treasury", type: "u128", typeName: "Balance" },
      ],
      docs: ["parapipe: the cycle's carry (what floor division left out) was minted."],
    },
  ] as const);

  const params = (s: StateAccess) => paramsFromCodec(InflationParams.get(s));
  const config = (s: StateAccess) => configFromCodec(ActiveInflationConfig.get(s));
  const remainder = (s: StateAccess): RewardRemainder => {
    const r = Remainder.get(s) as unknown as { collator: Codec; treasury: Codec };
    return { collator: big(r.collator), treasury: big(r.treasury) };
  };
  const protocolState = (s: StateAccess): ProtocolState => {
    const p = ProtocolStateItem.get(s) as unknown as Record<string, Codec> & { subperiod: { type: string } };
    return {
      era: num(p.era!),
      nextEraStart: num(p.nextEraStart!),
      periodNumber: num(p.periodNumber!),
      subperiod: p.subperiod.type === "Voting" ? "Voting" : "BuildAndEarn",
      nextSubperiodStartEra: num(p.nextSubperiodStartEra!),
    };
  };
  const putConfig = (s: StateAccess, c: InflationConfiguration) => ActiveInflationConfig.put(s, c);

  function recalculate(ctx: BlockContext, nextEra: number): InflationConfiguration {
    const s = ctx.state;
    const close = settleAndRecalculate(
      params(s),
      cycle,
      config(s),
      remainder(s),
      deps.balances.totalIssuance(s),
      nextEra,
    );
    deps.balances.mint(ctx, POT_ACCOUNT, close.settlement.collator);
    deps.balances.mint(ctx, TREASURY_ACCOUNT, close.settlement.treasury);
    if (close.settlement.collator + close.settlement.treasury > 0n) {
      events.emit(ctx, "RemainderSettled", close.settlement.collator, close.settlement.treasury);
    }
    putConfig(s, close.config);
    Remainder.put(s, close.remainder);
    return close.config;
  }

  const pallet: Pallet = {
    name: P,
    index,
    crate: "pallet_inflation",
    storage: Object.values(storage),
    calls: [
      {
        name: "force_set_inflation_params",
        index: 0,
        args: [{ name: "params", type: "InflationParameters", typeName: "InflationParameters" }],
        docs: ["Used to force-set the inflation parameters (root). The parameters must be valid (parts sum to one)."],
        weight: () => 20n * WEIGHT_REF_TIME_PER_MICROS,
        dispatch(ctx, origin, args) {
          ensureRoot(origin);
          const p = paramsFromCodec(args[0]!);
          if (!isValidInflationParameters(p)) throw errors.error("InvalidInflationParameters");
          InflationParams.put(ctx.state, p);
          events.emit(ctx, "InflationParametersForceChanged");
        },
      },
      {
        name: "force_readjust_config",
        index: 1,
        args: [],
        docs: [
          "Re-adjusts the active configuration with the current parameters, keeping the recalculation era (root).",
        ],
        weight: () => 20n * WEIGHT_REF_TIME_PER_MICROS,
        dispatch(ctx, origin) {
          ensureRoot(origin);
          const next = forceReadjustConfigWithRemainder(params(ctx.state), cycle, config(ctx.state));
          putConfig(ctx.state, next.config);
          Remainder.put(ctx.state, next.remainder);
          events.emit(ctx, "InflationConfigurationForceChanged", next.config);
        },
      },
      {
        name: "force_inflation_recalculation",
        index: 2,
        args: [{ name: "next_era", type: "u32", typeName: "EraNumber" }],
        docs: ["Forces an inflation recalculation; the retired configuration's carry is paid first (root)."],
        weight: () => 30n * WEIGHT_REF_TIME_PER_MICROS,
        dispatch(ctx, origin, args) {
          ensureRoot(origin);
          events.emit(ctx, "ForcedInflationRecalculation", recalculate(ctx, num(args[0]!)));
        },
      },
      {
        name: "force_set_total_value_staked",
        index: 3,
        args: [{ name: "value", type: "Compact<u128>", typeName: "Balance" }],
        docs: ["parapipe: sets the staked value the staker pool's adjustable part depends on (root)."],
        weight: () => 10n * WEIGHT_REF_TIME_PER_MICROS,
        dispatch(ctx, origin, args) {
          ensureRoot(origin);
          TotalValueStaked.put(ctx.state, big(args[0]!));
        },
      },
    ],
    events: events.meta,
    errors: errors.meta,
    onInitialize(ctx) {
      const s = ctx.state;
      // The era schedule (dApp staking's on_initialize upstream).
      const before = protocolState(s);
      const step = advanceProtocolState(before, cycle, ctx.number);
      if (step.newEra) {
        ProtocolStateItem.put(s, step.state);
        const cfg = config(s);
        if (before.subperiod === "BuildAndEarn") {
          const pools = stakerAndDappRewardPools(cfg, big(TotalValueStaked.get(s)), deps.balances.totalIssuance(s));
          deps.balances.mint(ctx, STAKER_POT_ACCOUNT, pools.stakerPool);
          deps.balances.mint(ctx, DAPP_POT_ACCOUNT, pools.dappPool);
          events.emit(ctx, "EraRewardsMinted", before.era, pools.stakerPool, pools.dappPool);
        }
        if (step.newPeriod) {
          const bonus = bonusRewardPool(cfg);
          deps.balances.mint(ctx, BONUS_POT_ACCOUNT, bonus);
          events.emit(ctx, "BonusRewardMinted", before.periodNumber, bonus);
        }
      }
      if (step.blockBeforeNewEra !== undefined && recalculationDue(config(s), step.blockBeforeNewEra)) {
        DoRecalculation.put(s, step.blockBeforeNewEra);
      }
      // Per-block payouts.
      const cfg = config(s);
      const payout = blockPayout(cfg);
      deps.balances.mint(ctx, POT_ACCOUNT, payout.collator);
      deps.balances.mint(ctx, TREASURY_ACCOUNT, payout.treasury);
      if (payout.newDecayFactor !== cfg.decayFactor) putConfig(s, { ...cfg, decayFactor: payout.newDecayFactor });
      return 40n * WEIGHT_REF_TIME_PER_MICROS;
    },
    onFinalize(ctx) {
      const e = DoRecalculation.getOption(ctx.state);
      if (e === undefined) return;
      DoRecalculation.kill(ctx.state);
      events.emit(ctx, "NewInflationConfiguration", recalculate(ctx, num(e)));
    },
  };

  return {
    pallet,
    storage,
    config,
    params,
    remainder,
    protocolState,
    /** Genesis: parameters, schedule, and the first configuration from the genesis issuance (era 1). */
    genesis(s: StateAccess, p: InflationParameters): void {
      if (!isValidInflationParameters(p)) throw new TypeError("inflation parameters do not sum to one");
      InflationParams.put(s, p);
      Cycle.put(s, cycle);
      ProtocolStateItem.put(s, genesisProtocolState(cycle));
      const first = recalculateInflationWithRemainder(p, cycle, deps.balances.totalIssuance(s), 1, PERQUINTILL_ONE);
      putConfig(s, first.config);
      Remainder.put(s, first.remainder);
    },
  };
}

/** The `Inflation` pallet instance type. */
export type InflationPallet = ReturnType<typeof createInflation>;

function big(c: Codec): bigint {
  return (c as unknown as { toBigInt(): bigint }).toBigInt();
}
function num(c: Codec): number {
  return (c as unknown as { toNumber(): number }).toNumber();
}

/** Decodes a registry `InflationParameters` (Perquintill fields are u64 parts). */
export function paramsFromCodec(c: Codec): InflationParameters {
  const v = c as unknown as Record<string, Codec>;
  const f = (k: string) => big(v[k]!);
  return {
    maxInflationRate: f("maxInflationRate"),
    treasuryPart: f("treasuryPart"),
    collatorsPart: f("collatorsPart"),
    dappsPart: f("dappsPart"),
    baseStakersPart: f("baseStakersPart"),
    adjustableStakersPart: f("adjustableStakersPart"),
    bonusPart: f("bonusPart"),
    idealStakingRate: f("idealStakingRate"),
    decayRate: f("decayRate"),
  };
}

/** Decodes a registry `InflationConfiguration`. */
export function configFromCodec(c: Codec): InflationConfiguration {
  const v = c as unknown as Record<string, Codec>;
  const f = (k: string) => big(v[k]!);
  return {
    recalculationEra: num(v["recalculationEra"]!),
    issuanceSafetyCap: f("issuanceSafetyCap"),
    collatorRewardPerBlock: f("collatorRewardPerBlock"),
    treasuryRewardPerBlock: f("treasuryRewardPerBlock"),
    dappRewardPoolPerEra: f("dappRewardPoolPerEra"),
    baseStakerRewardPoolPerEra: f("baseStakerRewardPoolPerEra"),
    adjustableStakerRewardPoolPerEra: f("adjustableStakerRewardPoolPerEra"),
    bonusRewardPoolPerPeriod: f("bonusRewardPoolPerPeriod"),
    idealStakingRate: f("idealStakingRate"),
    decayRate: f("decayRate"),
    decayFactor: f("decayFactor"),
  };
}
