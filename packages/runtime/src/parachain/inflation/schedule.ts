/**
 * The dApp-staking era/period schedule that drives inflation, modelled on ASTAR `pallets/dapp-staking`
 * (`ProtocolState`, genesis build and `era_and_period_handler`):
 *
 * - Genesis installs era 1, period 1, voting subperiod, `next_era_start = voting_eras * blocks_per_era + 1`.
 * - The voting subperiod is ONE numerical era lasting `erasPerVotingSubperiod * blocksPerEra` blocks; each
 *   build&earn era lasts `blocksPerEra` blocks; a period is one voting era plus `erasPerBuildAndEarnSubperiod`
 *   build&earn eras, i.e. `period_in_era_lengths * blocksPerEra` blocks.
 * - In `on_initialize(now)`, dApp staking first calls `Observer::block_before_new_era(era + 1)` when
 *   `next_era_start == now + 1`, then switches era when `next_era_start <= now`.
 * - Inflation cycles start with the first era and are `eras_per_cycle` numerical eras long, so with a constant
 *   block time cycle c spans blocks `(c-1) * blocks_per_cycle + 1 ..= c * blocks_per_cycle`; its last block is
 *   the block before era `c * eras_per_cycle + 1`, in whose `on_finalize` the inflation pallet recalculates.
 *
 * {@link eraScheduleAt} is the closed form for a chain whose block time never changed; {@link ProtocolState}
 * with {@link advanceProtocolState} is the block-by-block state machine that also survives a block-time change
 * ({@link adjustProtocolStateForBlockTimeDivision}, Astar's `AdjustEraMigration`).
 */
import { assertCycleConfiguration, blocksPerCycle, type CycleConfiguration } from "./cycle.js";
import { assertU32, u32SaturatingAdd, u32SaturatingMul } from "./errors.js";

/** A dApp-staking subperiod: voting first, then build&earn. */
export type Subperiod = "Voting" | "BuildAndEarn";

/** Where block `blockNumber` sits in the era/period/cycle schedule of a chain with a constant block time. */
export interface BlockSchedule {
  /** The block number asked about (blocks start at 1). */
  blockNumber: number;
  /** The numerical era the block belongs to (after dApp staking's `on_initialize` of this block). */
  era: number;
  /** The dApp-staking period number, from 1. */
  period: number;
  /** The subperiod of the block's era. */
  subperiod: Subperiod;
  /** The inflation cycle number, from 1. */
  cycle: number;
  /** The block is the first of its era (block 1 included, whose era genesis installs). */
  newEra: boolean;
  /** The block is the first of a period, i.e. of a voting subperiod. */
  newPeriod: boolean;
  /** The block is the first of an inflation cycle. */
  newCycle: boolean;
  /** The era that starts at the next block, when the next block starts one: the argument of `block_before_new_era`. */
  blockBeforeNewEra: number | undefined;
  /** The block is the cycle's last: `block_before_new_era(recalculation_era)` fires and `on_finalize` recalculates. */
  lastBlockOfCycle: boolean;
  /** Blocks from this one to the end of its cycle, this one included (1 in the last block). */
  remainingBlocksInCycle: number;
}

/**
 * The schedule position of block `blockNumber` (≥ 1) for a chain that ran `cycle` unchanged since genesis.
 * All four cycle fields must be at least 1 (Astar's `integrity_test`).
 */
export function eraScheduleAt(cycle: CycleConfiguration, blockNumber: number): BlockSchedule {
  assertCycleConfiguration(cycle, 1);
  assertU32("blockNumber", blockNumber, 1);
  const blocksPerEra = cycle.blocksPerEra;
  const votingBlocks = cycle.erasPerVotingSubperiod * blocksPerEra;
  const periodBlocks = votingBlocks + cycle.erasPerBuildAndEarnSubperiod * blocksPerEra;
  const erasPerPeriod = cycle.erasPerBuildAndEarnSubperiod + 1;

  const index = blockNumber - 1;
  const periodIndex = Math.floor(index / periodBlocks);
  const offset = index - periodIndex * periodBlocks;
  const firstEraOfPeriod = periodIndex * erasPerPeriod + 1;

  let era: number;
  let subperiod: Subperiod;
  let eraStart: number;
  let eraLength: number;
  if (offset < votingBlocks) {
    era = firstEraOfPeriod;
    subperiod = "Voting";
    eraStart = 0;
    eraLength = votingBlocks;
  } else {
    const buildAndEarnIndex = Math.floor((offset - votingBlocks) / blocksPerEra);
    era = firstEraOfPeriod + 1 + buildAndEarnIndex;
    subperiod = "BuildAndEarn";
    eraStart = votingBlocks + buildAndEarnIndex * blocksPerEra;
    eraLength = blocksPerEra;
  }
  const cycleBlocks = periodBlocks * cycle.periodsPerCycle;
  const cycleIndex = Math.floor(periodIndex / cycle.periodsPerCycle);
  const remainingBlocksInCycle = (cycleIndex + 1) * cycleBlocks - index;
  const lastOfEra = offset === eraStart + eraLength - 1;
  return {
    blockNumber,
    era,
    period: periodIndex + 1,
    subperiod,
    cycle: cycleIndex + 1,
    newEra: offset === eraStart,
    newPeriod: offset === 0,
    newCycle: offset === 0 && periodIndex % cycle.periodsPerCycle === 0,
    blockBeforeNewEra: lastOfEra ? era + 1 : undefined,
    lastBlockOfCycle: remainingBlocksInCycle === 1,
    remainingBlocksInCycle,
  };
}

/** The first block of inflation cycle `cycleNumber` (≥ 1) on a chain with a constant block time. */
export function firstBlockOfCycle(cycle: CycleConfiguration, cycleNumber: number): number {
  assertU32("cycleNumber", cycleNumber, 1);
  return (cycleNumber - 1) * blocksPerCycle(cycle) + 1;
}

/** dApp staking's `ProtocolState` (without the maintenance flag): the state {@link advanceProtocolState} steps. */
export interface ProtocolState {
  /** The current numerical era. */
  era: number;
  /** The block in whose `on_initialize` the next era starts. */
  nextEraStart: number;
  /** The current period number. */
  periodNumber: number;
  /** The current subperiod. */
  subperiod: Subperiod;
  /** The era at which the next subperiod starts. */
  nextSubperiodStartEra: number;
}

/** dApp staking's genesis state: era 1, period 1, voting until block `voting_eras * blocks_per_era`. */
export function genesisProtocolState(cycle: CycleConfiguration): ProtocolState {
  assertCycleConfiguration(cycle, 1);
  return {
    era: 1,
    nextEraStart: u32SaturatingAdd(u32SaturatingMul(cycle.erasPerVotingSubperiod, cycle.blocksPerEra), 1),
    periodNumber: 1,
    subperiod: "Voting",
    nextSubperiodStartEra: 2,
  };
}

/** What dApp staking's `on_initialize(now)` did, as far as inflation cares. */
export interface ProtocolStep {
  /** The state after this block's `on_initialize`. */
  state: ProtocolState;
  /** The era passed to `Observer::block_before_new_era` in this block, if it was called. */
  blockBeforeNewEra: number | undefined;
  /** An era transition happened in this block. */
  newEra: boolean;
  /** The transition started a new period (a voting subperiod). */
  newPeriod: boolean;
}

/**
 * dApp staking's era/period handler for block `now`, with the cycle configuration in force at that block:
 * notify `block_before_new_era(era + 1)` when `next_era_start == now + 1`; on `next_era_start <= now` move to
 * the next era: voting → build&earn (next era starts `blocks_per_era` later, subperiod switch after
 * `eras_per_build_and_earn_subperiod` eras), build&earn → build&earn, or build&earn → voting of the next
 * period when the next era reaches `next_subperiod_start_era` (next era starts `voting_eras * blocks_per_era`
 * later).
 */
export function advanceProtocolState(state: ProtocolState, cycle: CycleConfiguration, now: number): ProtocolStep {
  assertCycleConfiguration(cycle, 1);
  assertU32("now", now);
  const blockBeforeNewEra = state.nextEraStart === now + 1 ? u32SaturatingAdd(state.era, 1) : undefined;
  if (state.nextEraStart > now) return { state: { ...state }, blockBeforeNewEra, newEra: false, newPeriod: false };

  const nextEra = u32SaturatingAdd(state.era, 1);
  let next: ProtocolState;
  if (state.subperiod === "Voting") {
    next = {
      era: nextEra,
      nextEraStart: u32SaturatingAdd(now, cycle.blocksPerEra),
      periodNumber: state.periodNumber,
      subperiod: "BuildAndEarn",
      nextSubperiodStartEra: u32SaturatingAdd(nextEra, cycle.erasPerBuildAndEarnSubperiod),
    };
  } else if (state.nextSubperiodStartEra <= nextEra) {
    next = {
      era: nextEra,
      nextEraStart: u32SaturatingAdd(now, u32SaturatingMul(cycle.erasPerVotingSubperiod, cycle.blocksPerEra)),
      periodNumber: u32SaturatingAdd(state.periodNumber, 1),
      subperiod: "Voting",
      nextSubperiodStartEra: u32SaturatingAdd(nextEra, 1),
    };
  } else {
    next = { ...state, era: nextEra, nextEraStart: u32SaturatingAdd(now, cycle.blocksPerEra) };
  }
  return { state: next, blockBeforeNewEra, newEra: true, newPeriod: next.subperiod === "Voting" };
}

/**
 * Astar's dApp-staking `AdjustEraMigration` generalised to a block time divided by `divisor` (2 for 12 s → 6 s):
 * the blocks left before the next era, counted from `currentBlock` (the block the migration runs in), are
 * multiplied by `divisor`: `next_era_start += (divisor - 1) * (next_era_start - current_block)`. Later eras use
 * the new `blocksPerEra`, so the rest of the cycle lasts exactly `divisor` times as many blocks.
 */
export function adjustProtocolStateForBlockTimeDivision(
  state: ProtocolState,
  currentBlock: number,
  divisor: number,
): ProtocolState {
  assertU32("currentBlock", currentBlock);
  assertU32("divisor", divisor, 1);
  const left = Math.max(state.nextEraStart - currentBlock, 0);
  return { ...state, nextEraStart: u32SaturatingAdd(state.nextEraStart, u32SaturatingMul(divisor - 1, left)) };
}
