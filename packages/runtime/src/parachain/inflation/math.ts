/**
 * Pure math of Astar's `pallet-inflation` (ASTAR `pallets/inflation/src/lib.rs`, storage version 2 with
 * `decay_rate`/`decay_factor`), exact to the planck, plus parapipe's exact-issuance remainder carry (below,
 * "Exact issuance") and the dApp-staking era schedule the pallet runs on (`./schedule.ts`).
 *
 * Everything is a function of its arguments: the runtime pallet owns storage (`ActiveInflationConfig`,
 * `InflationParams`, `DoRecalculation`, the carry), minting and events. Balances are u128 planck as bigint,
 * Perquintills are parts of 10^18 as bigint, era and block numbers are u32 as number.
 *
 * This module re-exports the sibling modules so that it is the one entry point of the inflation math.
 *
 * Wiring in the pallet (Astar's hooks, plus the carry, stored beside `ActiveInflationConfig`):
 * - genesis: `recalculateInflationWithRemainder(params, cycle, totalIssuance, 1, one)`, store config and carry;
 * - `on_initialize(n)`: `blockPayout(config)`, mint both amounts, store `newDecayFactor`; the carry is untouched;
 * - `Observer::block_before_new_era(e)`: `recalculationDue(config, e)` → `DoRecalculation = e`;
 * - `on_finalize(n)` with `DoRecalculation = e` (the cycle's last block): `settleAndRecalculate(params, cycle,
 *   config, carry, totalIssuance, e)`, mint its `settlement`, store the new config and carry. The carry is thus
 *   paid in the last block of the cycle, together with the recalculation, which needs no knowledge of the last
 *   block before `on_finalize` and is independent of the order of the pallets' `on_initialize`;
 * - `force_inflation_recalculation(e)`: the same `settleAndRecalculate` (a retired configuration always has its
 *   carry paid); `force_readjust_config`: `forceReadjustConfigWithRemainder` (approximate, as in Astar);
 * - the 12 s → 6 s runtime upgrade: `adjustForBlockTimeHalving` with the blocks of the cycle not yet paid, next
 *   to dApp staking's era migration (`adjustProtocolStateForBlockTimeDivision`).
 */
import { blocksPerCycle, buildAndEarnErasPerCycle, type CycleConfiguration, erasPerCycle } from "./cycle.js";
import {
  assertBalance,
  assertU32,
  U128_MAX,
  u32SaturatingAdd,
  u128SaturatingAdd,
  u128SaturatingMul,
} from "./errors.js";
import {
  assertPerquintill,
  PERQUINTILL_ONE,
  PERQUINTILL_ZERO,
  type Perquintill,
  perquintillCheckedAdd,
  perquintillDiv,
  perquintillFromPercent,
  perquintillFromRational,
  perquintillMul,
  perquintillMulPerquintill,
} from "./perquintill.js";

export * from "./cycle.js";
export * from "./errors.js";
export * from "./perquintill.js";
export * from "./schedule.js";

/**
 * Astar's `InflationParameters`: the static inputs of every recalculation. The six `*Part` fields split the
 * cycle's maximum emission and must sum to exactly one ({@link isValidInflationParameters}).
 */
export interface InflationParameters {
  /** Maximum inflation per cycle, as a fraction of the total issuance when the cycle starts. */
  maxInflationRate: Perquintill;
  /** Share of the maximum emission paid to the treasury per block. */
  treasuryPart: Perquintill;
  /** Share of the maximum emission paid to collators per block. */
  collatorsPart: Perquintill;
  /** Share of the maximum emission for dApp (tier) rewards per build&earn era. */
  dappsPart: Perquintill;
  /** Share of the maximum emission always available to stakers per build&earn era. */
  baseStakersPart: Perquintill;
  /** Share of the maximum emission available to stakers in proportion to `staked / ideal`, per build&earn era. */
  adjustableStakersPart: Perquintill;
  /** Share of the maximum emission for loyal stakers' bonus rewards per period. */
  bonusPart: Perquintill;
  /** Staked fraction of the total issuance at which the adjustable staker pool is paid in full. */
  idealStakingRate: Perquintill;
  /** Per-block multiplier of the decay factor; one means no decay. */
  decayRate: Perquintill;
}

/**
 * Astar's `InflationConfiguration` (field order and meaning as in the pallet): the active per-block, per-era
 * and per-period amounts of one cycle. parapipe's exact-issuance carry is stored beside it, never in it.
 */
export interface InflationConfiguration {
  /** Era at whose start the configuration is recalculated (`DoRecalculation` is set the block before). */
  recalculationEra: number;
  /** Placeholder kept for layout compatibility: always `u128::MAX / 1000` (invalidated upstream). */
  issuanceSafetyCap: bigint;
  /** Minted for the block author's pot in every block, before decay. */
  collatorRewardPerBlock: bigint;
  /** Minted for the treasury in every block, before decay. */
  treasuryRewardPerBlock: bigint;
  /** dApp reward pool of one build&earn era, before decay. */
  dappRewardPoolPerEra: bigint;
  /** Base staker reward pool of one build&earn era, before decay. */
  baseStakerRewardPoolPerEra: bigint;
  /** Maximum adjustable staker reward pool of one build&earn era, before decay. */
  adjustableStakerRewardPoolPerEra: bigint;
  /** Bonus reward pool of one period, before decay. */
  bonusRewardPoolPerPeriod: bigint;
  /** Copied from the parameters at recalculation. */
  idealStakingRate: Perquintill;
  /** Copied from the parameters at recalculation. */
  decayRate: Perquintill;
  /** Compounded decay, multiplied into every payout and pool. */
  decayFactor: Perquintill;
}

/** Astar's `issuance_safety_cap`: `Balance::MAX / 1000`. */
export const ISSUANCE_SAFETY_CAP: bigint = U128_MAX / 1000n;

/**
 * Astar's `InflationParameters::default()`: 7 % inflation; treasury 5 %, collators 3 %, dApps 20 %, base
 * stakers 25 %, adjustable stakers 35 %, bonus 12 %; ideal staking rate 50 %; no decay. Also the parameters
 * of the pallet's test mock (`INIT_PARAMS` in ASTAR `pallets/inflation/src/mock.rs`).
 */
export function defaultInflationParameters(): InflationParameters {
  return {
    maxInflationRate: perquintillFromPercent(7),
    treasuryPart: perquintillFromPercent(5),
    collatorsPart: perquintillFromPercent(3),
    dappsPart: perquintillFromPercent(20),
    baseStakersPart: perquintillFromPercent(25),
    adjustableStakersPart: perquintillFromPercent(35),
    bonusPart: perquintillFromPercent(12),
    idealStakingRate: perquintillFromPercent(50),
    decayRate: PERQUINTILL_ONE,
  };
}

/** Throws `PERQUINTILL_OUT_OF_RANGE` unless every field of the parameters is a Perquintill. */
export function assertInflationParameters(params: InflationParameters): void {
  for (const [key, value] of Object.entries(params) as [string, bigint][]) assertPerquintill(key, value);
}

/**
 * Astar's `InflationParameters::is_valid`: the six parts (treasury, collators, dApps, base stakers, adjustable
 * stakers, bonus) folded with `checked_add` from zero must equal exactly one; any intermediate sum above one
 * makes the fold `None`, i.e. invalid.
 */
export function isValidInflationParameters(params: InflationParameters): boolean {
  const parts = [
    params.treasuryPart,
    params.collatorsPart,
    params.dappsPart,
    params.baseStakersPart,
    params.adjustableStakersPart,
    params.bonusPart,
  ];
  let sum: Perquintill | undefined = PERQUINTILL_ZERO;
  for (const part of parts) {
    if (part < 0n || part > PERQUINTILL_ONE) return false;
    sum = sum === undefined ? undefined : perquintillCheckedAdd(sum, part);
  }
  return sum === PERQUINTILL_ONE;
}

/** The cycle's maximum emission: `max_inflation_rate * total_issuance` (Perquintill × Balance rounding). */
export function maxEmissionFor(params: InflationParameters, totalIssuance: bigint): bigint {
  return perquintillMul(params.maxInflationRate, totalIssuance);
}

/**
 * Astar's `recalculate_inflation(next_era, decay_factor)`: a new configuration from the current total issuance,
 * recalculated again `eras_per_cycle` eras after `nextEra` (u32 saturating). The pallet passes the current
 * `decay_factor` so that decay carries across cycles.
 */
export function recalculateInflation(
  params: InflationParameters,
  cycle: CycleConfiguration,
  totalIssuance: bigint,
  nextEra: number,
  decayFactor: Perquintill,
): InflationConfiguration {
  assertU32("nextEra", nextEra);
  const recalculationEra = u32SaturatingAdd(nextEra, erasPerCycle(cycle));
  return newConfig(params, cycle, recalculationEra, maxEmissionFor(params, totalIssuance), decayFactor);
}

/**
 * Astar's `new_config(recalculation_era, max_emission, decay_factor)`: splits `maxEmission` by the six parts
 * (Perquintill × Balance, nearest with ties down), then floor-divides by blocks per cycle, build&earn eras per
 * cycle and periods per cycle, each taken `.max(1)`.
 */
export function newConfig(
  params: InflationParameters,
  cycle: CycleConfiguration,
  recalculationEra: number,
  maxEmission: bigint,
  decayFactor: Perquintill,
): InflationConfiguration {
  assertInflationParameters(params);
  assertU32("recalculationEra", recalculationEra);
  assertBalance("maxEmission", maxEmission);
  assertPerquintill("decayFactor", decayFactor);
  const blocks = BigInt(Math.max(blocksPerCycle(cycle), 1));
  const buildAndEarnEras = BigInt(Math.max(buildAndEarnErasPerCycle(cycle), 1));
  const periods = BigInt(Math.max(cycle.periodsPerCycle, 1));
  return {
    recalculationEra,
    issuanceSafetyCap: ISSUANCE_SAFETY_CAP,
    collatorRewardPerBlock: perquintillMul(params.collatorsPart, maxEmission) / blocks,
    treasuryRewardPerBlock: perquintillMul(params.treasuryPart, maxEmission) / blocks,
    dappRewardPoolPerEra: perquintillMul(params.dappsPart, maxEmission) / buildAndEarnEras,
    baseStakerRewardPoolPerEra: perquintillMul(params.baseStakersPart, maxEmission) / buildAndEarnEras,
    adjustableStakerRewardPoolPerEra: perquintillMul(params.adjustableStakersPart, maxEmission) / buildAndEarnEras,
    bonusRewardPoolPerPeriod: perquintillMul(params.bonusPart, maxEmission) / periods,
    idealStakingRate: params.idealStakingRate,
    decayRate: params.decayRate,
    decayFactor,
  };
}

/** The staker and dApp reward pools of one build&earn era (see {@link stakerAndDappRewardPools}). */
export interface EraRewardPools {
  /** Base pool plus the adjustable pool scaled by `min(1, staked ratio / ideal)`, times the decay factor. */
  stakerPool: bigint;
  /** dApp pool times the decay factor. */
  dappPool: bigint;
}

/**
 * Astar's `staker_and_dapp_reward_pools(total_value_staked)`: `staked_ratio = from_rational(staked, issuance)`
 * (rounds down), `adjustment = staked_ratio / ideal` (from_rational, saturating at one, one for ideal 0),
 * `staker = decay * (base + adjustment * adjustable)` and `dapp = decay * dapp_pool`.
 */
export function stakerAndDappRewardPools(
  config: InflationConfiguration,
  totalValueStaked: bigint,
  totalIssuance: bigint,
): EraRewardPools {
  const stakedRatio = perquintillFromRational(totalValueStaked, totalIssuance);
  const adjustmentFactor = perquintillDiv(stakedRatio, config.idealStakingRate);
  const adjustablePart = perquintillMul(adjustmentFactor, config.adjustableStakerRewardPoolPerEra);
  return {
    stakerPool: perquintillMul(
      config.decayFactor,
      u128SaturatingAdd(config.baseStakerRewardPoolPerEra, adjustablePart),
    ),
    dappPool: perquintillMul(config.decayFactor, config.dappRewardPoolPerEra),
  };
}

/** Astar's `bonus_reward_pool()`: `decay_factor * bonus_reward_pool_per_period`. */
export function bonusRewardPool(config: InflationConfiguration): bigint {
  return perquintillMul(config.decayFactor, config.bonusRewardPoolPerPeriod);
}

/** What one block mints for collators and the treasury, and the decay factor to store afterwards. */
export interface BlockPayout {
  /** Minted into the collator reward pot. */
  collator: bigint;
  /** Minted into the treasury. */
  treasury: bigint;
  /** The configuration's `decayFactor` after this block (unchanged when `decayRate` is one). */
  newDecayFactor: Perquintill;
}

/** Astar's per-block decay step: `decay_factor * decay_rate` (Perquintill × Perquintill, floor) unless the rate is one. */
export function decayedFactor(config: InflationConfiguration): Perquintill {
  return config.decayRate === PERQUINTILL_ONE
    ? config.decayFactor
    : perquintillMulPerquintill(config.decayFactor, config.decayRate);
}

/**
 * Astar's `on_initialize` payout: first `decay_factor = decay_factor * decay_rate` when the rate is not one,
 * then `collator = decay_factor * collator_reward_per_block` and `treasury = decay_factor *
 * treasury_reward_per_block` with the already-decayed factor. The per-block values themselves never change.
 */
export function blockPayout(config: InflationConfiguration): BlockPayout {
  const newDecayFactor = decayedFactor(config);
  return {
    collator: perquintillMul(newDecayFactor, config.collatorRewardPerBlock),
    treasury: perquintillMul(newDecayFactor, config.treasuryRewardPerBlock),
    newDecayFactor,
  };
}

/**
 * Astar's reconstruction of the cycle's `max_emission` from a configuration (`derive_max_emission_from_config`
 * / the body of `readjusted_config`): each per-unit value times its count per cycle, u128 saturating. It is at
 * most the original because every division in {@link newConfig} floors.
 */
export function deriveMaxEmissionFromConfig(cycle: CycleConfiguration, config: InflationConfiguration): bigint {
  const blocks = BigInt(blocksPerCycle(cycle));
  const buildAndEarnEras = BigInt(buildAndEarnErasPerCycle(cycle));
  const periods = BigInt(cycle.periodsPerCycle);
  const pools = [
    u128SaturatingMul(config.collatorRewardPerBlock, blocks),
    u128SaturatingMul(config.treasuryRewardPerBlock, blocks),
    u128SaturatingMul(config.dappRewardPoolPerEra, buildAndEarnEras),
    u128SaturatingMul(config.baseStakerRewardPoolPerEra, buildAndEarnEras),
    u128SaturatingMul(config.adjustableStakerRewardPoolPerEra, buildAndEarnEras),
    u128SaturatingMul(config.bonusRewardPoolPerPeriod, periods),
  ];
  return pools.reduce(u128SaturatingAdd, 0n);
}

/**
 * Astar's `force_readjust_config`: applies (new) parameters to the running cycle without touching total
 * issuance: `new_config(config.recalculation_era, derived max_emission, config.decay_factor)`.
 */
export function forceReadjustConfig(
  params: InflationParameters,
  cycle: CycleConfiguration,
  config: InflationConfiguration,
): InflationConfiguration {
  return newConfig(
    params,
    cycle,
    config.recalculationEra,
    deriveMaxEmissionFromConfig(cycle, config),
    config.decayFactor,
  );
}

/**
 * {@link forceReadjustConfig} plus a carry for the readjusted values: what they drop from the derived max
 * emission over a whole cycle. Like Astar's readjustment this is approximate (the blocks already paid used the
 * old values), so the exact-issuance guarantee holds only for cycles without forced changes.
 */
export function forceReadjustConfigWithRemainder(
  params: InflationParameters,
  cycle: CycleConfiguration,
  config: InflationConfiguration,
): ConfigWithRemainder {
  return newConfigWithRemainder(
    params,
    cycle,
    config.recalculationEra,
    deriveMaxEmissionFromConfig(cycle, config),
    config.decayFactor,
  );
}

/**
 * Astar's `Observer::block_before_new_era(new_era)` decision: dApp staking calls it in the block before era
 * `newEra` starts, and when `recalculation_era <= newEra` the pallet sets `DoRecalculation = newEra` and
 * recalculates in that same block's `on_finalize`, so the first block of the new era pays the new values.
 */
export function recalculationDue(config: InflationConfiguration, newEra: number): boolean {
  assertU32("newEra", newEra);
  return config.recalculationEra <= newEra;
}

// ---------------------------------------------------------------------------------------------------------
// Exact issuance: the remainder carry (parapipe's addition; Astar has no equivalent).
//
// Astar floors `part * max_emission / blocks_per_cycle`, so a cycle mints `blocks_per_cycle * per_block`,
// up to `blocks_per_cycle - 1` planck less than the collators' (and the treasury's) part, and its
// `AdjustBlockRewardMigration` (`per_block /= 2` when 12 s blocks become 6 s) loses `per_block mod 2` more
// in every remaining block. The carry is the part of the cycle's emission that the per-block values will not
// pay. It is kept beside `InflationConfiguration` (whose layout stays Astar's) and paid once, in the last
// block of the cycle: the block whose `on_finalize` recalculates.
//
// Invariant, per pot, with decay rate one, at any point of a cycle:
//   paid so far + per_block * (blocks of the cycle not yet paid) + carry = part * max_emission.
// - Recalculation: nothing paid, `blocks_per_cycle` blocks unpaid, carry = part*max_emission mod blocks
//   (`blocks_per_cycle.max(1)` as divisor): holds by Euclidean division.
// - A block payout: paid += per_block, unpaid -= 1: holds.
// - A block time divided by k in the middle of a cycle with r blocks unpaid: unpaid becomes k*r (dApp
//   staking stretches the remaining eras by k), per_block becomes floor(per_block / k) as Astar's migration
//   does, carry += r * (per_block mod k): r*per_block = k*r*floor(per_block/k) + r*(per_block mod k), holds.
// - The last block pays its per-block value (unpaid becomes 0) and then the carry: paid = part*max_emission.
// ---------------------------------------------------------------------------------------------------------

/**
 * The exact-issuance carry of a cycle: what the per-block values of the active configuration will leave
 * unpaid by the end of the cycle, for collators and for the treasury. Stored beside the configuration and
 * paid in the cycle's last block ({@link settleAndRecalculate} or {@link blockPayoutWithCarry}).
 */
export interface RewardRemainder {
  /** Planck owed to the collator pot at the end of the cycle, beyond the per-block payouts. */
  collator: bigint;
  /** Planck owed to the treasury at the end of the cycle, beyond the per-block payouts. */
  treasury: bigint;
}

/** A configuration together with its carry: what a recalculation or a block-time migration stores. */
export interface ConfigWithRemainder {
  /** Astar's configuration, unchanged in layout and values. */
  config: InflationConfiguration;
  /** The carry that goes with it. */
  remainder: RewardRemainder;
}

/** An empty carry (genesis before the first recalculation, and right after a settlement). */
export function zeroRemainder(): RewardRemainder {
  return { collator: 0n, treasury: 0n };
}

function assertRemainder(remainder: RewardRemainder): void {
  assertBalance("remainder.collator", remainder.collator);
  assertBalance("remainder.treasury", remainder.treasury);
}

/**
 * The carry of a freshly calculated cycle: `part * max_emission mod blocks_per_cycle.max(1)` for collators and
 * treasury, i.e. exactly what {@link newConfig}'s floor division drops.
 */
export function cycleRemainder(
  params: InflationParameters,
  cycle: CycleConfiguration,
  maxEmission: bigint,
): RewardRemainder {
  assertBalance("maxEmission", maxEmission);
  const blocks = BigInt(Math.max(blocksPerCycle(cycle), 1));
  return {
    collator: perquintillMul(params.collatorsPart, maxEmission) % blocks,
    treasury: perquintillMul(params.treasuryPart, maxEmission) % blocks,
  };
}

/** {@link newConfig} plus the carry of the new cycle ({@link cycleRemainder}). */
export function newConfigWithRemainder(
  params: InflationParameters,
  cycle: CycleConfiguration,
  recalculationEra: number,
  maxEmission: bigint,
  decayFactor: Perquintill,
): ConfigWithRemainder {
  return {
    config: newConfig(params, cycle, recalculationEra, maxEmission, decayFactor),
    remainder: cycleRemainder(params, cycle, maxEmission),
  };
}

/** {@link recalculateInflation} plus the carry of the new cycle: genesis uses it with `nextEra = 1`. */
export function recalculateInflationWithRemainder(
  params: InflationParameters,
  cycle: CycleConfiguration,
  totalIssuance: bigint,
  nextEra: number,
  decayFactor: Perquintill,
): ConfigWithRemainder {
  assertU32("nextEra", nextEra);
  return newConfigWithRemainder(
    params,
    cycle,
    u32SaturatingAdd(nextEra, erasPerCycle(cycle)),
    maxEmissionFor(params, totalIssuance),
    decayFactor,
  );
}

/** The amounts a carry settlement mints. */
export interface RemainderSettlement {
  /** Minted into the collator reward pot. */
  collator: bigint;
  /** Minted into the treasury. */
  treasury: bigint;
}

/**
 * Pays a carry out: `decay_factor * carry` per pot, the same decay the per-block values get (exact when the
 * factor is one). The carry is empty afterwards.
 */
export function settleRemainder(decayFactor: Perquintill, remainder: RewardRemainder): RemainderSettlement {
  assertRemainder(remainder);
  return {
    collator: perquintillMul(decayFactor, remainder.collator),
    treasury: perquintillMul(decayFactor, remainder.treasury),
  };
}

/** The result of closing a cycle: the settlement to mint, then the next cycle's configuration and carry. */
export interface CycleClose extends ConfigWithRemainder {
  /** What to mint for the closing cycle's carry, before the new configuration takes effect. */
  settlement: RemainderSettlement;
  /** The new cycle's maximum emission, from the issuance including the settlement. */
  maxEmission: bigint;
}

/**
 * What the pallet's `on_finalize` does when `DoRecalculation = nextEra` is set (the last block of the cycle):
 * settle the closing cycle's carry, then recalculate exactly as Astar does, keeping the current decay factor,
 * from the issuance that includes the settlement. `totalIssuance` is the issuance before the settlement is
 * minted; the caller mints `settlement` and stores `config` and `remainder`. The settlement is minted "as late
 * as possible", like Astar's recalculation itself, so the next cycle's emission is based on it.
 */
export function settleAndRecalculate(
  params: InflationParameters,
  cycle: CycleConfiguration,
  config: InflationConfiguration,
  remainder: RewardRemainder,
  totalIssuance: bigint,
  nextEra: number,
): CycleClose {
  assertBalance("totalIssuance", totalIssuance);
  const settlement = settleRemainder(config.decayFactor, remainder);
  const issuance = totalIssuance + settlement.collator + settlement.treasury;
  const next = recalculateInflationWithRemainder(params, cycle, issuance, nextEra, config.decayFactor);
  return { ...next, settlement, maxEmission: maxEmissionFor(params, issuance) };
}

/** {@link BlockPayout} plus the carry to store after the block. */
export interface BlockPayoutWithCarry extends BlockPayout {
  /** The carry after this block: unchanged, or empty when it was paid in this block. */
  remainder: RewardRemainder;
}

/**
 * One block's payout with the carry: Astar's {@link blockPayout}, plus, when `isLastBlockOfCycle`, the whole
 * carry (decayed with the same new factor) in the same block. Use it when the last block is known in
 * `on_initialize`; a pallet that only learns it in `on_finalize` pays the carry with
 * {@link settleAndRecalculate} instead. Both paths empty the carry, so the carry is never paid twice.
 */
export function blockPayoutWithCarry(
  config: InflationConfiguration,
  remainder: RewardRemainder,
  isLastBlockOfCycle: boolean,
): BlockPayoutWithCarry {
  const payout = blockPayout(config);
  if (!isLastBlockOfCycle) {
    assertRemainder(remainder);
    return { ...payout, remainder: { ...remainder } };
  }
  const settlement = settleRemainder(payout.newDecayFactor, remainder);
  return {
    collator: payout.collator + settlement.collator,
    treasury: payout.treasury + settlement.treasury,
    newDecayFactor: payout.newDecayFactor,
    remainder: zeroRemainder(),
  };
}

/**
 * Block time divided by `divisor` in the middle of a cycle (12 s → 6 s is 2), exactly: the per-block values
 * become `floor(per_block / divisor)` as Astar's migration computes them, and what that floor drops over the
 * stretched rest of the cycle joins the carry: `carry += blocksRemaining * (per_block mod divisor)`.
 * `blocksRemaining` is the number of blocks of the current cycle, at the old block time, whose payout has not
 * happened yet when the migration runs (if it runs before `on_initialize` of block S and the cycle's last block
 * is L, that is `L - S + 1`); dApp staking's era migration turns them into `divisor * blocksRemaining` blocks.
 */
export function adjustForBlockTimeDivision(
  config: InflationConfiguration,
  remainder: RewardRemainder,
  blocksRemaining: number,
  divisor: number,
): ConfigWithRemainder {
  assertU32("blocksRemaining", blocksRemaining);
  assertU32("divisor", divisor, 1);
  assertRemainder(remainder);
  const k = BigInt(divisor);
  const r = BigInt(blocksRemaining);
  return {
    config: {
      ...config,
      collatorRewardPerBlock: config.collatorRewardPerBlock / k,
      treasuryRewardPerBlock: config.treasuryRewardPerBlock / k,
    },
    remainder: {
      collator: remainder.collator + r * (config.collatorRewardPerBlock % k),
      treasury: remainder.treasury + r * (config.treasuryRewardPerBlock % k),
    },
  };
}

/**
 * Astar's `AdjustBlockRewardMigration` (per-block collator and treasury rewards `saturating_div(2)`, pools
 * untouched because an era keeps its wall-clock length), made exact: see {@link adjustForBlockTimeDivision}
 * with divisor 2.
 */
export function adjustForBlockTimeHalving(
  config: InflationConfiguration,
  remainder: RewardRemainder,
  blocksRemainingInCycleBeforeSwitch: number,
): ConfigWithRemainder {
  return adjustForBlockTimeDivision(config, remainder, blocksRemainingInCycleBeforeSwitch, 2);
}
