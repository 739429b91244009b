import { assertU32, u32SaturatingAdd, u32SaturatingMul } from "./errors.js";

/**
 * Astar's `CycleConfiguration` (ASTAR `primitives/src/dapp_staking.rs`): how a cycle (an inflation "year")
 * divides into dApp-staking periods, subperiods, eras and blocks. All values are u32 (`EraNumber`,
 * `BlockNumber`); Astar's `integrity_test` requires each to be at least 1.
 */
export interface CycleConfiguration {
  /** Periods in one cycle. */
  periodsPerCycle: number;
  /** Standard era lengths the voting subperiod lasts (it is still one numerical era). */
  erasPerVotingSubperiod: number;
  /** Eras (numerical and in length) in one build&earn subperiod. */
  erasPerBuildAndEarnSubperiod: number;
  /** Blocks in one standard era. */
  blocksPerEra: number;
}

/** The values Astar's `CycleConfiguration` trait derives from its four inputs (see {@link deriveCycle}). */
export interface CycleDerivedValues {
  /** Standard era lengths one period lasts: voting + build&earn. */
  periodInEraLengths: number;
  /** Standard era lengths one cycle lasts. */
  cycleInEraLengths: number;
  /** Blocks one cycle lasts: the divisor of the per-block rewards. */
  blocksPerCycle: number;
  /** Build&earn eras in one cycle: the divisor of the per-era pools. */
  buildAndEarnErasPerCycle: number;
  /** Numerical eras in one period: build&earn eras plus the single voting era. */
  erasPerPeriod: number;
  /** Numerical eras in one cycle: how far `recalculation_era` lies ahead. */
  erasPerCycle: number;
}

/** Throws `COUNT_OUT_OF_RANGE` unless every field is a u32 integer at least `min` (0 for the math, 1 for a schedule). */
export function assertCycleConfiguration(cycle: CycleConfiguration, min = 0): void {
  assertU32("periodsPerCycle", cycle.periodsPerCycle, min);
  assertU32("erasPerVotingSubperiod", cycle.erasPerVotingSubperiod, min);
  assertU32("erasPerBuildAndEarnSubperiod", cycle.erasPerBuildAndEarnSubperiod, min);
  assertU32("blocksPerEra", cycle.blocksPerEra, min);
}

/** `period_in_era_lengths = voting.saturating_add(build&earn)`. */
export function periodInEraLengths(cycle: CycleConfiguration): number {
  assertCycleConfiguration(cycle);
  return u32SaturatingAdd(cycle.erasPerVotingSubperiod, cycle.erasPerBuildAndEarnSubperiod);
}

/** `cycle_in_era_lengths = period_in_era_lengths.saturating_mul(periods_per_cycle)`. */
export function cycleInEraLengths(cycle: CycleConfiguration): number {
  return u32SaturatingMul(periodInEraLengths(cycle), cycle.periodsPerCycle);
}

/** `blocks_per_cycle = blocks_per_era.saturating_mul(cycle_in_era_lengths)`. */
export function blocksPerCycle(cycle: CycleConfiguration): number {
  return u32SaturatingMul(cycle.blocksPerEra, cycleInEraLengths(cycle));
}

/** `build_and_earn_eras_per_cycle = build&earn.saturating_mul(periods_per_cycle)`. */
export function buildAndEarnErasPerCycle(cycle: CycleConfiguration): number {
  assertCycleConfiguration(cycle);
  return u32SaturatingMul(cycle.erasPerBuildAndEarnSubperiod, cycle.periodsPerCycle);
}

/** `eras_per_period = build&earn.saturating_add(1)`: the voting subperiod is one numerical era. */
export function erasPerPeriod(cycle: CycleConfiguration): number {
  assertCycleConfiguration(cycle);
  return u32SaturatingAdd(cycle.erasPerBuildAndEarnSubperiod, 1);
}

/** `eras_per_cycle = eras_per_period.saturating_mul(periods_per_cycle)`. */
export function erasPerCycle(cycle: CycleConfiguration): number {
  return u32SaturatingMul(erasPerPeriod(cycle), cycle.periodsPerCycle);
}

/** All derived values of a cycle configuration at once, exactly as Astar's trait defaults compute them. */
export function deriveCycle(cycle: CycleConfiguration): CycleDerivedValues {
  return {
    periodInEraLengths: periodInEraLengths(cycle),
    cycleInEraLengths: cycleInEraLengths(cycle),
    blocksPerCycle: blocksPerCycle(cycle),
    buildAndEarnErasPerCycle: buildAndEarnErasPerCycle(cycle),
    erasPerPeriod: erasPerPeriod(cycle),
    erasPerCycle: erasPerCycle(cycle),
  };
}
