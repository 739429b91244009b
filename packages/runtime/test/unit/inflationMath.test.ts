import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  adjustForBlockTimeHalving,
  adjustProtocolStateForBlockTimeDivision,
  advanceProtocolState,
  blockPayout,
  blockPayoutWithCarry,
  bonusRewardPool,
  type CycleConfiguration,
  cycleRemainder,
  defaultInflationParameters,
  deriveCycle,
  deriveMaxEmissionFromConfig,
  eraScheduleAt,
  firstBlockOfCycle,
  forceReadjustConfig,
  forceReadjustConfigWithRemainder,
  formatPerquintill,
  genesisProtocolState,
  InflationMathError,
  type InflationParameters,
  ISSUANCE_SAFETY_CAP,
  isValidInflationParameters,
  maxEmissionFor,
  PERQUINTILL_ONE,
  parsePerquintill,
  perquintillDiv,
  perquintillFromPercent,
  perquintillFromRational,
  perquintillMul,
  perquintillMulPerquintill,
  type RewardRemainder,
  recalculateInflation,
  recalculateInflationWithRemainder,
  recalculationDue,
  settleAndRecalculate,
  stakerAndDappRewardPools,
  U128_MAX,
  zeroRemainder,
} from "../../src/parachain/inflation/math.js";

const UNIT = 10n ** 18n;
const pct = perquintillFromPercent;

/** ASTAR pallets/inflation/src/mock.rs: `DummyCycleConfiguration`. */
const MOCK_CYCLE: CycleConfiguration = {
  periodsPerCycle: 5,
  erasPerVotingSubperiod: 2,
  erasPerBuildAndEarnSubperiod: 17,
  blocksPerEra: 11,
};
/** ASTAR mock.rs genesis balances 9 + 7 + 5 units. */
const MOCK_ISSUANCE = 21n * UNIT;

/** The mock's state after `ExternalityBuilder::build()`: `recalculate_inflation(1, one)`, then `on_initialize(1)`. */
function mockBuilder() {
  const params = defaultInflationParameters();
  const config = recalculateInflation(params, MOCK_CYCLE, MOCK_ISSUANCE, 1, PERQUINTILL_ONE);
  const payout = blockPayout(config);
  return { params, config, totalIssuance: MOCK_ISSUANCE + payout.collator + payout.treasury };
}

/** ASTAR mock.rs `lenient_balance_assert_eq!`: the smaller balance is at least 99.9 % of the larger one. */
function lenientlyEqual(x: bigint, y: bigint): boolean {
  const [small, large] = x > y ? [y, x] : [x, y];
  return large === 0n || (1_000_000n * small) / large >= 999_000n;
}

function expectCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof InflationMathError && err.code === code;
}

describe("Perquintill arithmetic (sp_arithmetic per_things.rs semantics)", () => {
  it("Perquintill × balance rounds to the nearest integer with ties rounded down", () => {
    // per_things.rs doc examples (`Percent::from_percent(34) * 10u64 == 3`, `36% → 4`), at Perquintill accuracy.
    assert.equal(perquintillMul(pct(34), 10n), 3n);
    assert.equal(perquintillMul(pct(36), 10n), 4n);
    // Exact ties go down (NearestPrefDown): 0.5 × 1 = 0.5 → 0, 0.5 × 3 = 1.5 → 1, 0.5 × 5 = 2.5 → 2.
    assert.equal(perquintillMul(pct(50), 1n), 0n);
    assert.equal(perquintillMul(pct(50), 3n), 1n);
    assert.equal(perquintillMul(pct(50), 5n), 2n);
    // Just above the tie goes up.
    assert.equal(perquintillMul(PERQUINTILL_ONE / 2n + 1n, 1n), 1n);
    // One whole is the identity up to u128::MAX, with no overflow.
    assert.equal(perquintillMul(PERQUINTILL_ONE, U128_MAX), U128_MAX);
    assert.equal(perquintillMul(0n, U128_MAX), 0n);
  });

  it("from_rational rounds down and saturates at one for p > q or q == 0", () => {
    assert.equal(perquintillFromRational(1n, 3n), 333_333_333_333_333_333n);
    assert.equal(perquintillFromRational(2n, 3n), 666_666_666_666_666_666n);
    assert.equal(perquintillFromRational(989n, 1000n), 989_000_000_000_000_000n);
    assert.equal(perquintillFromRational(4n, 3n), PERQUINTILL_ONE);
    assert.equal(perquintillFromRational(0n, 0n), PERQUINTILL_ONE);
    assert.equal(perquintillFromRational(5n, 0n), PERQUINTILL_ONE);
    assert.equal(perquintillFromRational(0n, 7n), 0n);
    assert.equal(perquintillFromRational(U128_MAX - 1n, U128_MAX), PERQUINTILL_ONE - 1n);
  });

  it("Perquintill × Perquintill always rounds down", () => {
    const third = perquintillFromRational(1n, 3n);
    // 333_333_333_333_333_333² / 10^18 = 111_111_111_111_111_110.88…
    assert.equal(perquintillMulPerquintill(third, third), 111_111_111_111_111_110n);
    assert.equal(perquintillMulPerquintill(pct(90), pct(90)), pct(81));
    assert.equal(perquintillMulPerquintill(PERQUINTILL_ONE, third), third);
  });

  it("Perquintill ÷ Perquintill is from_rational of the parts", () => {
    assert.equal(perquintillDiv(pct(39), pct(50)), pct(78));
    assert.equal(perquintillDiv(pct(60), pct(50)), PERQUINTILL_ONE);
    assert.equal(perquintillDiv(pct(5), 0n), PERQUINTILL_ONE);
    assert.equal(perquintillDiv(pct(1), pct(3)), 333_333_333_333_333_333n);
  });

  it("parses exact decimal strings and formats them back", () => {
    assert.equal(parsePerquintill("0.032"), 32_000_000_000_000_000n);
    assert.equal(parsePerquintill("0.138"), 138_000_000_000_000_000n);
    assert.equal(parsePerquintill("1"), PERQUINTILL_ONE);
    assert.equal(parsePerquintill("1.000000000000000000"), PERQUINTILL_ONE);
    assert.equal(parsePerquintill("0"), 0n);
    assert.equal(parsePerquintill("0.000000000000000001"), 1n);
    assert.equal(parsePerquintill("0.99999996"), 999_999_960_000_000_000n);
    for (const s of ["0.032", "1", "0", "0.000000000000000001", "0.5", "0.99999996"]) {
      assert.equal(formatPerquintill(parsePerquintill(s)), s);
    }
    assert.equal(formatPerquintill(pct(7)), "0.07");
  });

  it("rejects malformed, over-precise, negative and above-one strings with typed errors", () => {
    assert.throws(() => parsePerquintill("0.0000000000000000001"), expectCode("PERQUINTILL_TOO_PRECISE"));
    assert.throws(() => parsePerquintill("-0.1"), expectCode("PERQUINTILL_NEGATIVE"));
    assert.throws(() => parsePerquintill("-0"), expectCode("PERQUINTILL_NEGATIVE"));
    assert.throws(() => parsePerquintill("1.000000000000000001"), expectCode("PERQUINTILL_ABOVE_ONE"));
    assert.throws(() => parsePerquintill("2"), expectCode("PERQUINTILL_ABOVE_ONE"));
    for (const s of ["", ".5", "1.", "1e-2", " 0.5", "0,5", "5%", "abc"]) {
      assert.throws(() => parsePerquintill(s), expectCode("PERQUINTILL_MALFORMED"), s);
    }
  });

  it("rejects parts above one and balances outside u128", () => {
    assert.throws(() => perquintillMul(PERQUINTILL_ONE + 1n, 1n), expectCode("PERQUINTILL_OUT_OF_RANGE"));
    assert.throws(() => perquintillMul(1n, U128_MAX + 1n), expectCode("BALANCE_OUT_OF_RANGE"));
    assert.throws(() => perquintillMul(1n, -1n), expectCode("BALANCE_OUT_OF_RANGE"));
  });
});

describe("InflationParameters validity (ASTAR pallets/inflation/src/tests.rs)", () => {
  // default_params_are_valid
  it("the default parameters are valid", () => {
    assert.ok(isValidInflationParameters(defaultInflationParameters()));
  });

  // inflation_parameters_validity_check_works
  it("one percent less or more on one part is invalid", () => {
    const base = defaultInflationParameters();
    assert.ok(!isValidInflationParameters({ ...base, baseStakersPart: base.baseStakersPart - pct(1) }));
    assert.ok(!isValidInflationParameters({ ...base, baseStakersPart: base.baseStakersPart + pct(1) }));
    assert.ok(!isValidInflationParameters({ ...base, treasuryPart: pct(100) }));
  });

  it("moving the whole adjustable part into the base part stays valid", () => {
    const base = defaultInflationParameters();
    assert.ok(
      isValidInflationParameters({
        ...base,
        baseStakersPart: base.baseStakersPart + base.adjustableStakersPart,
        adjustableStakersPart: 0n,
      }),
    );
  });

  it("a zeroed part is invalid (force_set_inflation_params_fails)", () => {
    assert.ok(!isValidInflationParameters({ ...defaultInflationParameters(), baseStakersPart: 0n }));
  });

  it("an intermediate checked_add overflow is invalid even if a later part is zero", () => {
    const params: InflationParameters = {
      ...defaultInflationParameters(),
      treasuryPart: PERQUINTILL_ONE,
      collatorsPart: 1n,
      dappsPart: 0n,
      baseStakersPart: 0n,
      adjustableStakersPart: 0n,
      bonusPart: 0n,
    };
    assert.ok(!isValidInflationParameters(params));
  });
});

describe("CycleConfiguration derived values (ASTAR mock.rs DummyCycleConfiguration, tests.rs cycle_configuration_works)", () => {
  it("derives the mock cycle's lengths", () => {
    assert.deepEqual(deriveCycle(MOCK_CYCLE), {
      periodInEraLengths: 19,
      cycleInEraLengths: 95,
      blocksPerCycle: 1045,
      buildAndEarnErasPerCycle: 85,
      erasPerPeriod: 18,
      erasPerCycle: 90,
    });
  });

  it("saturates at u32::MAX like the Rust trait defaults", () => {
    const huge = {
      periodsPerCycle: 1000,
      erasPerVotingSubperiod: 1,
      erasPerBuildAndEarnSubperiod: 999,
      blocksPerEra: 1e7,
    };
    assert.equal(deriveCycle(huge).blocksPerCycle, 0xffff_ffff);
  });
});

describe("Recalculation, pools and payouts (ASTAR mock.rs + tests.rs; numbers from reference §5.3)", () => {
  it("recalculates the mock configuration to the planck", () => {
    const params = defaultInflationParameters();
    assert.equal(maxEmissionFor(params, MOCK_ISSUANCE), 1_470_000_000_000_000_000n);
    const config = recalculateInflation(params, MOCK_CYCLE, MOCK_ISSUANCE, 1, PERQUINTILL_ONE);
    assert.deepEqual(config, {
      recalculationEra: 91,
      issuanceSafetyCap: U128_MAX / 1000n,
      collatorRewardPerBlock: 42_200_956_937_799n,
      treasuryRewardPerBlock: 70_334_928_229_665n,
      dappRewardPoolPerEra: 3_458_823_529_411_764n,
      baseStakerRewardPoolPerEra: 4_323_529_411_764_705n,
      adjustableStakerRewardPoolPerEra: 6_052_941_176_470_588n,
      bonusRewardPoolPerPeriod: 35_280_000_000_000_000n,
      idealStakingRate: pct(50),
      decayRate: PERQUINTILL_ONE,
      decayFactor: PERQUINTILL_ONE,
    });
    assert.equal(config.issuanceSafetyCap, ISSUANCE_SAFETY_CAP);
  });

  it("keeps the decay factor it is given (inflation_recalculation_works)", () => {
    const config = recalculateInflation(defaultInflationParameters(), MOCK_CYCLE, MOCK_ISSUANCE, 7, pct(42));
    assert.equal(config.decayFactor, pct(42));
    assert.equal(config.recalculationEra, 7 + 90);
  });

  it("divides by at least one when a cycle count is zero", () => {
    const zero = { periodsPerCycle: 0, erasPerVotingSubperiod: 0, erasPerBuildAndEarnSubperiod: 0, blocksPerEra: 0 };
    const config = recalculateInflation(defaultInflationParameters(), zero, MOCK_ISSUANCE, 1, PERQUINTILL_ONE);
    assert.equal(config.collatorRewardPerBlock, 44_100_000_000_000_000n);
    assert.equal(config.bonusRewardPoolPerPeriod, 176_400_000_000_000_000n);
    assert.equal(config.recalculationEra, 1);
  });

  it("one block of the builder mints collator + treasury (on_initialize_reward_payout_works)", () => {
    const { config, totalIssuance } = mockBuilder();
    const payout = blockPayout(config);
    assert.equal(payout.collator, config.collatorRewardPerBlock);
    assert.equal(payout.treasury, config.treasuryRewardPerBlock);
    assert.equal(payout.newDecayFactor, PERQUINTILL_ONE);
    assert.equal(totalIssuance, 21_000_112_535_885_167_464n);
  });

  it("staker and dApp pools follow the staked ratio (stakers_and_dapp_reward_pool_is_ok)", () => {
    const { config, totalIssuance } = mockBuilder();
    const dappPool = 3_458_823_529_411_764n;
    const base = 4_323_529_411_764_705n;
    const full = 10_376_470_588_235_293n;
    // 1st scenario: nothing staked.
    assert.deepEqual(stakerAndDappRewardPools(config, 0n, totalIssuance), { stakerPool: base, dappPool });
    // 2nd scenario: ideal − 11 % = 39 % staked → factor 0.78.
    const rate39 = config.idealStakingRate - pct(11);
    const staked39 = perquintillMul(rate39, totalIssuance);
    assert.equal(perquintillDiv(perquintillFromRational(staked39, totalIssuance), config.idealStakingRate), pct(78));
    assert.deepEqual(stakerAndDappRewardPools(config, staked39, totalIssuance), {
      stakerPool: 9_044_823_529_411_764n,
      dappPool,
    });
    assert.equal(9_044_823_529_411_764n, base + perquintillMul(pct(78), config.adjustableStakerRewardPoolPerEra));
    // 3rd and 4th scenarios: at and above the ideal rate.
    for (const rate of [config.idealStakingRate, config.idealStakingRate + pct(13)]) {
      const staked = perquintillMul(rate, totalIssuance);
      assert.deepEqual(stakerAndDappRewardPools(config, staked, totalIssuance), { stakerPool: full, dappPool });
    }
    // 5th scenario: ideal rate zero uses the whole adjustable pool.
    const zeroIdeal = { ...config, idealStakingRate: 0n };
    const staked5 = perquintillMul(pct(5), totalIssuance);
    assert.deepEqual(stakerAndDappRewardPools(zeroIdeal, staked5, totalIssuance), { stakerPool: full, dappPool });
  });

  it("the bonus pool is the per-period bonus times the decay factor (bonus_reward_pool_is_ok)", () => {
    const { config } = mockBuilder();
    assert.equal(bonusRewardPool(config), 35_280_000_000_000_000n);
    assert.equal(bonusRewardPool({ ...config, decayFactor: pct(50) }), 17_640_000_000_000_000n);
  });

  it("pools are decayed by the decay factor", () => {
    const { config, totalIssuance } = mockBuilder();
    const half = { ...config, decayFactor: pct(50) };
    assert.deepEqual(stakerAndDappRewardPools(half, 0n, totalIssuance), {
      stakerPool: 2_161_764_705_882_352n, // 4_323_529_411_764_705 / 2 = …352.5, tie rounds down
      dappPool: 1_729_411_764_705_882n,
    });
  });

  it("recalculation is due from the block before era recalculation_era (inflation_recalculation_occurs_when_expected)", () => {
    const { config } = mockBuilder();
    assert.equal(recalculationDue(config, config.recalculationEra - 2), false);
    assert.equal(recalculationDue(config, config.recalculationEra - 1), false);
    assert.equal(recalculationDue(config, config.recalculationEra), true);
    assert.equal(recalculationDue(config, config.recalculationEra + 5), true);
  });
});

describe("Decay (ASTAR tests.rs decay tests as summarised in reference §5.3)", () => {
  it("no decay pays 10 + 6 = 16; a 50 % rate halves the factor and pays 8", () => {
    const { config: mock } = mockBuilder();
    const config = {
      ...mock,
      collatorRewardPerBlock: 10n,
      treasuryRewardPerBlock: 6n,
      decayRate: PERQUINTILL_ONE,
      decayFactor: PERQUINTILL_ONE,
    };
    const first = blockPayout(config);
    assert.equal(first.collator + first.treasury, 16n);
    const decayed = blockPayout({ ...config, decayRate: pct(50) });
    assert.equal(decayed.newDecayFactor, pct(50));
    assert.equal(decayed.collator + decayed.treasury, 8n);
  });

  it("ten blocks at 50 % compound the factor to 0.5^10 and leave per-block values untouched", () => {
    // ASTAR tests.rs on_initialize_decay_and_payout_works (stored version: 10 + 5, ten blocks).
    const { config: mock } = mockBuilder();
    let config = { ...mock, collatorRewardPerBlock: 10n, treasuryRewardPerBlock: 5n, decayRate: pct(50) };
    for (let i = 0; i < 10; i++) config = { ...config, decayFactor: blockPayout(config).newDecayFactor };
    assert.equal(config.decayFactor, PERQUINTILL_ONE / 1024n);
    assert.equal(config.collatorRewardPerBlock, 10n);
    assert.equal(config.treasuryRewardPerBlock, 5n);
  });

  it("resetting the decay rate to one keeps the decayed factor: 100 + 50 at 90 % pays 135 twice", () => {
    // ASTAR tests.rs force_update_decay_rate_and_reset_factor_works.
    const { params, config: mock } = mockBuilder();
    const config = { ...mock, collatorRewardPerBlock: 100n, treasuryRewardPerBlock: 50n, decayRate: pct(90) };
    const first = blockPayout(config);
    assert.equal(first.newDecayFactor, pct(90));
    assert.equal(first.collator + first.treasury, 135n);

    const decayed = { ...config, decayFactor: first.newDecayFactor };
    const readjusted = forceReadjustConfig({ ...params, decayRate: PERQUINTILL_ONE }, MOCK_CYCLE, decayed);
    assert.equal(readjusted.decayRate, PERQUINTILL_ONE);
    assert.equal(readjusted.decayFactor, pct(90));

    const second = blockPayout({ ...decayed, decayRate: PERQUINTILL_ONE });
    assert.equal(second.newDecayFactor, pct(90));
    assert.equal(second.collator + second.treasury, 135n);
  });

  it("500 blocks at 99 % give ≈0.99^500 and readjusting keeps the factor and the max emission (force_readjust_config_with_decay_works)", () => {
    const { params, config: mock } = mockBuilder();
    const originalMaxEmission = maxEmissionFor(params, MOCK_ISSUANCE);
    let config = { ...mock, decayRate: pct(99) };
    for (let i = 0; i < 500; i++) config = { ...config, decayFactor: blockPayout(config).newDecayFactor };
    const exactPow = (99n ** 500n * PERQUINTILL_ONE) / 100n ** 500n;
    assert.equal(config.decayFactor, 6_570_483_042_414_584n);
    assert.ok(exactPow - config.decayFactor <= 500n, "at most one part lost per floor");

    const readjusted = forceReadjustConfig(params, MOCK_CYCLE, config);
    assert.equal(readjusted.decayFactor, config.decayFactor);
    assert.equal(readjusted.recalculationEra, config.recalculationEra);
    const derived = deriveMaxEmissionFromConfig(MOCK_CYCLE, readjusted);
    // Every floor division loses less than its divisor: 2 × 1045 (blocks) + 3 × 85 (eras) + 5 (periods).
    assert.ok(derived <= originalMaxEmission && originalMaxEmission - derived < 2n * 1045n + 3n * 85n + 5n);
  });

  it("readjusting with new staker parts moves base into adjustable and keeps the rest (force_readjust_config_works)", () => {
    const { params, config: old } = mockBuilder();
    const newParams = { ...params, baseStakersPart: pct(10), adjustableStakersPart: pct(50) };
    assert.ok(isValidInflationParameters(newParams));
    const next = forceReadjustConfig(newParams, MOCK_CYCLE, old);
    assert.notDeepEqual(next, old);
    const close = (a: bigint, b: bigint) => assert.ok(lenientlyEqual(a, b), `${a} vs ${b}`);
    close(next.collatorRewardPerBlock, old.collatorRewardPerBlock);
    close(next.treasuryRewardPerBlock, old.treasuryRewardPerBlock);
    close(next.dappRewardPoolPerEra, old.dappRewardPoolPerEra);
    close(next.bonusRewardPoolPerPeriod, old.bonusRewardPoolPerPeriod);
    assert.equal(next.idealStakingRate, old.idealStakingRate);
    assert.equal(next.recalculationEra, old.recalculationEra);
    assert.ok(next.baseStakerRewardPoolPerEra < old.baseStakerRewardPoolPerEra);
    assert.ok(next.adjustableStakerRewardPoolPerEra > old.adjustableStakerRewardPoolPerEra);
    // parapipe: the readjusted carry is what the readjusted per-block values drop from the derived emission.
    const withCarry = forceReadjustConfigWithRemainder(newParams, MOCK_CYCLE, old);
    assert.deepEqual(withCarry.config, next);
    const derived = deriveMaxEmissionFromConfig(MOCK_CYCLE, old);
    assert.equal(
      next.collatorRewardPerBlock * 1045n + withCarry.remainder.collator,
      perquintillMul(newParams.collatorsPart, derived),
    );
  });
});

describe("Era/period schedule (ASTAR pallets/dapp-staking ProtocolState model)", () => {
  it("places the mock cycle's blocks in eras, periods and cycles", () => {
    const at = (n: number) => eraScheduleAt(MOCK_CYCLE, n);
    assert.deepEqual(at(1), {
      blockNumber: 1,
      era: 1,
      period: 1,
      subperiod: "Voting",
      cycle: 1,
      newEra: true,
      newPeriod: true,
      newCycle: true,
      blockBeforeNewEra: undefined,
      lastBlockOfCycle: false,
      remainingBlocksInCycle: 1045,
    });
    // The voting era lasts 2 × 11 blocks.
    assert.equal(at(22).era, 1);
    assert.equal(at(22).blockBeforeNewEra, 2);
    assert.deepEqual([at(23).era, at(23).subperiod, at(23).newEra, at(23).newPeriod], [2, "BuildAndEarn", true, false]);
    assert.equal(at(33).blockBeforeNewEra, 3);
    // Period 1 ends with era 18 at block 19 × 11 = 209; period 2 votes in era 19.
    assert.deepEqual([at(209).era, at(209).blockBeforeNewEra], [18, 19]);
    assert.deepEqual([at(210).era, at(210).period, at(210).subperiod, at(210).newPeriod], [19, 2, "Voting", true]);
    // The cycle's last block precedes era 91, the first recalculation era.
    assert.deepEqual([at(1045).era, at(1045).blockBeforeNewEra, at(1045).lastBlockOfCycle], [90, 91, true]);
    assert.equal(at(1045).remainingBlocksInCycle, 1);
    assert.deepEqual([at(1046).era, at(1046).cycle, at(1046).newCycle, at(1046).period], [91, 2, true, 6]);
    assert.equal(firstBlockOfCycle(MOCK_CYCLE, 2), 1046);
  });

  it("the closed form agrees with dApp staking's block-by-block state machine over three cycles", () => {
    let state = genesisProtocolState(MOCK_CYCLE);
    assert.equal(state.nextEraStart, 23);
    for (let n = 1; n <= 3 * 1045; n++) {
      const step = advanceProtocolState(state, MOCK_CYCLE, n);
      state = step.state;
      const at = eraScheduleAt(MOCK_CYCLE, n);
      assert.equal(state.era, at.era, `era at ${n}`);
      assert.equal(state.periodNumber, at.period, `period at ${n}`);
      assert.equal(state.subperiod, at.subperiod, `subperiod at ${n}`);
      assert.equal(step.blockBeforeNewEra, at.blockBeforeNewEra, `block before new era at ${n}`);
      if (n > 1) assert.equal(step.newEra, at.newEra, `new era at ${n}`);
      if (n > 1) assert.equal(step.newPeriod, at.newPeriod, `new period at ${n}`);
    }
  });

  it("rejects block zero and zero-length cycles", () => {
    assert.throws(() => eraScheduleAt(MOCK_CYCLE, 0), expectCode("COUNT_OUT_OF_RANGE"));
    assert.throws(() => eraScheduleAt({ ...MOCK_CYCLE, blocksPerEra: 0 }, 1), expectCode("COUNT_OUT_OF_RANGE"));
  });
});

/** A minimal pallet wiring, as the runtime does it: genesis, then per block inflation payout, dApp staking, finalize. */
function runFirstCycle(opts: {
  params: InflationParameters;
  issuance: bigint;
  cycle: CycleConfiguration;
  /** Halve the block time before `on_initialize` of this block, switching to `after`. */
  halveAt?: { block: number; after: CycleConfiguration };
  /** Leave the carry out, i.e. behave as Astar does. */
  astar?: boolean;
}) {
  const genesis = recalculateInflationWithRemainder(opts.params, opts.cycle, opts.issuance, 1, PERQUINTILL_ONE);
  let config = genesis.config;
  let remainder: RewardRemainder = opts.astar ? zeroRemainder() : genesis.remainder;
  let cycle = opts.cycle;
  let state = genesisProtocolState(cycle);
  let issuance = opts.issuance;
  let collator = 0n;
  let treasury = 0n;
  let remainingAtSwitch: number | undefined;
  for (let now = 1; now < 1e6; now++) {
    if (opts.halveAt?.block === now) {
      remainingAtSwitch = eraScheduleAt(cycle, now).remainingBlocksInCycle;
      const adjusted = adjustForBlockTimeHalving(config, remainder, remainingAtSwitch);
      config = adjusted.config;
      remainder = opts.astar ? zeroRemainder() : adjusted.remainder;
      state = adjustProtocolStateForBlockTimeDivision(state, now, 2);
      cycle = opts.halveAt.after;
    }
    const payout = blockPayout(config);
    config = { ...config, decayFactor: payout.newDecayFactor };
    collator += payout.collator;
    treasury += payout.treasury;
    issuance += payout.collator + payout.treasury;
    const step = advanceProtocolState(state, cycle, now);
    state = step.state;
    if (step.blockBeforeNewEra !== undefined && recalculationDue(config, step.blockBeforeNewEra)) {
      const closed = settleAndRecalculate(opts.params, cycle, config, remainder, issuance, step.blockBeforeNewEra);
      collator += closed.settlement.collator;
      treasury += closed.settlement.treasury;
      return { lastBlock: now, collator, treasury, genesis, remainingAtSwitch, next: closed };
    }
  }
  throw new Error("no recalculation within 1e6 blocks");
}

describe("Exact issuance with the remainder carry (parapipe)", () => {
  const params = defaultInflationParameters();
  const maxEmission = maxEmissionFor(params, MOCK_ISSUANCE);
  const collatorEmission = perquintillMul(params.collatorsPart, maxEmission);
  const treasuryEmission = perquintillMul(params.treasuryPart, maxEmission);
  const at12s = MOCK_CYCLE;
  const at6s = { ...MOCK_CYCLE, blocksPerEra: 22 };

  it("Astar's floor division leaves a carry of part × emission mod blocks_per_cycle", () => {
    assert.equal(collatorEmission, 44_100_000_000_000_000n);
    assert.deepEqual(cycleRemainder(params, at12s, maxEmission), {
      collator: 44_100_000_000_000_000n - 42_200_956_937_799n * 1045n,
      treasury: 73_500_000_000_000_000n - 70_334_928_229_665n * 1045n,
    });
    assert.deepEqual(cycleRemainder(params, at12s, maxEmission), { collator: 45n, treasury: 75n });
  });

  it("a whole cycle at 12 s and at 6 s pays exactly the collator and treasury parts", () => {
    const slow = runFirstCycle({ params, issuance: MOCK_ISSUANCE, cycle: at12s });
    const fast = runFirstCycle({ params, issuance: MOCK_ISSUANCE, cycle: at6s });
    assert.equal(slow.lastBlock, 1045);
    assert.equal(fast.lastBlock, 2090);
    for (const run of [slow, fast]) {
      assert.equal(run.collator, collatorEmission);
      assert.equal(run.treasury, treasuryEmission);
    }
    // 6 s per-block values are the floor of half the 12 s ones.
    assert.equal(fast.genesis.config.collatorRewardPerBlock, slow.genesis.config.collatorRewardPerBlock / 2n);
    assert.equal(fast.genesis.config.treasuryRewardPerBlock, slow.genesis.config.treasuryRewardPerBlock / 2n);
    // Astar itself falls short by the carry.
    const astar = runFirstCycle({ params, issuance: MOCK_ISSUANCE, cycle: at12s, astar: true });
    assert.equal(collatorEmission - astar.collator, 45n);
    assert.equal(treasuryEmission - astar.treasury, 75n);
  });

  it("halving the block time in the middle of a cycle stays exact wherever the switch falls", () => {
    const perBlock = recalculateInflation(params, at12s, MOCK_ISSUANCE, 1, PERQUINTILL_ONE);
    assert.equal(perBlock.collatorRewardPerBlock % 2n, 1n, "odd per-block values make Astar's halving lossy");
    for (const block of [1, 2, 22, 23, 24, 209, 210, 600, 1044, 1045]) {
      const run = runFirstCycle({ params, issuance: MOCK_ISSUANCE, cycle: at12s, halveAt: { block, after: at6s } });
      const r = run.remainingAtSwitch!;
      assert.equal(r, 1045 - block + 1);
      assert.equal(run.lastBlock, block - 1 + 2 * r, `cycle end after a switch at ${block}`);
      assert.equal(run.collator, collatorEmission, `collator total after a switch at ${block}`);
      assert.equal(run.treasury, treasuryEmission, `treasury total after a switch at ${block}`);
      // Astar's migration loses one planck per remaining block of each odd per-block value, plus the carry.
      const astar = runFirstCycle({
        params,
        issuance: MOCK_ISSUANCE,
        cycle: at12s,
        halveAt: { block, after: at6s },
        astar: true,
      });
      assert.equal(collatorEmission - astar.collator, 45n + BigInt(r));
      assert.equal(treasuryEmission - astar.treasury, 75n + BigInt(r));
    }
  });

  it("the next cycle is calculated at the new block time from the issuance including the settlement", () => {
    const run = runFirstCycle({ params, issuance: MOCK_ISSUANCE, cycle: at12s, halveAt: { block: 600, after: at6s } });
    const issuanceAtEnd = MOCK_ISSUANCE + collatorEmission + treasuryEmission;
    assert.equal(run.next.maxEmission, maxEmissionFor(params, issuanceAtEnd));
    assert.deepEqual(run.next.config, recalculateInflation(params, at6s, issuanceAtEnd, 91, PERQUINTILL_ONE));
    assert.deepEqual(run.next.remainder, cycleRemainder(params, at6s, run.next.maxEmission));
  });

  it("paying the carry in the last block's on_initialize empties it, so the on_finalize settlement pays nothing", () => {
    const { config, remainder } = recalculateInflationWithRemainder(params, at12s, MOCK_ISSUANCE, 1, PERQUINTILL_ONE);
    const ordinary = blockPayoutWithCarry(config, remainder, false);
    assert.deepEqual(ordinary.remainder, remainder);
    assert.equal(ordinary.collator, config.collatorRewardPerBlock);
    const last = blockPayoutWithCarry(config, remainder, true);
    assert.equal(last.collator, config.collatorRewardPerBlock + 45n);
    assert.equal(last.treasury, config.treasuryRewardPerBlock + 75n);
    assert.deepEqual(last.remainder, zeroRemainder());
    const closed = settleAndRecalculate(params, at12s, config, last.remainder, MOCK_ISSUANCE, 91);
    assert.deepEqual(closed.settlement, { collator: 0n, treasury: 0n });
    // 1044 ordinary blocks plus the last one pay the parts exactly.
    assert.equal(1044n * ordinary.collator + last.collator, collatorEmission);
    assert.equal(1044n * ordinary.treasury + last.treasury, treasuryEmission);
  });

  it("the carry is decayed like the per-block values", () => {
    const { config, remainder } = recalculateInflationWithRemainder(params, at12s, MOCK_ISSUANCE, 1, pct(50));
    const last = blockPayoutWithCarry(config, remainder, true);
    assert.equal(last.collator, perquintillMul(pct(50), config.collatorRewardPerBlock) + 22n); // 45 / 2 = 22.5 → 22
  });
});

describe("Astar at the 6 s switch (reference §5.1/5.2: 3 × (11 + 111) eras, 7 %, 7200 → 14400 blocks per era)", () => {
  const params: InflationParameters = {
    maxInflationRate: parsePerquintill("0.07"),
    treasuryPart: parsePerquintill("0.05"),
    collatorsPart: parsePerquintill("0.032"),
    dappsPart: parsePerquintill("0.13"),
    baseStakersPart: parsePerquintill("0.1"),
    adjustableStakersPart: parsePerquintill("0.55"),
    bonusPart: parsePerquintill("0.138"),
    idealStakingRate: parsePerquintill("0.5"),
    decayRate: PERQUINTILL_ONE,
  };
  const at12s = {
    periodsPerCycle: 3,
    erasPerVotingSubperiod: 11,
    erasPerBuildAndEarnSubperiod: 111,
    blocksPerEra: 7200,
  };
  const at6s = { ...at12s, blocksPerEra: 14400 };
  // Illustrative issuance (reference vectors.py): 8.6 billion ASTR.
  const issuance = 8_600_000_000n * UNIT;

  it("the parameters are valid and the cycle doubles in blocks", () => {
    assert.ok(isValidInflationParameters(params));
    assert.equal(deriveCycle(at12s).blocksPerCycle, 2_635_200);
    assert.equal(deriveCycle(at6s).blocksPerCycle, 5_270_400);
    assert.equal(deriveCycle(at12s).buildAndEarnErasPerCycle, 333);
    assert.equal(deriveCycle(at12s).erasPerCycle, 336);
  });

  it("per-block collator and treasury rewards halve; era and period pools do not change", () => {
    const slow = recalculateInflation(params, at12s, issuance, 1, PERQUINTILL_ONE);
    const fast = recalculateInflation(params, at6s, issuance, 1, PERQUINTILL_ONE);
    assert.equal(maxEmissionFor(params, issuance), 602_000_000n * UNIT);
    assert.equal(slow.collatorRewardPerBlock, 7_310_261_080_752_884_031n); // ≈ 7.31 ASTR
    assert.equal(slow.treasuryRewardPerBlock, 11_422_282_938_676_381_299n); // ≈ 11.42 ASTR
    assert.equal(fast.collatorRewardPerBlock, 3_655_130_540_376_442_015n);
    assert.equal(fast.treasuryRewardPerBlock, 5_711_141_469_338_190_649n);
    // Astar's AdjustBlockRewardMigration result equals a recalculation at 6 s.
    const migrated = adjustForBlockTimeHalving(slow, zeroRemainder(), 0).config;
    assert.deepEqual(migrated, fast);
    assert.equal(fast.dappRewardPoolPerEra, slow.dappRewardPoolPerEra);
    assert.equal(fast.bonusRewardPoolPerPeriod, slow.bonusRewardPoolPerPeriod);
  });

  it("a switch with a million 12 s blocks left pays the exact yearly collator and treasury emission", () => {
    const genesis = recalculateInflationWithRemainder(params, at12s, issuance, 1, PERQUINTILL_ONE);
    const left = 1_000_000;
    const switched = adjustForBlockTimeHalving(genesis.config, genesis.remainder, left);
    const paidBefore = BigInt(2_635_200 - left);
    const total = (pick: "collator" | "treasury") => {
      const perBlock = pick === "collator" ? "collatorRewardPerBlock" : "treasuryRewardPerBlock";
      return (
        genesis.config[perBlock] * paidBefore + switched.config[perBlock] * BigInt(2 * left) + switched.remainder[pick]
      );
    };
    assert.equal(total("collator"), perquintillMul(params.collatorsPart, 602_000_000n * UNIT));
    assert.equal(total("treasury"), perquintillMul(params.treasuryPart, 602_000_000n * UNIT));
    assert.equal(total("collator"), 19_264_000n * UNIT);
    assert.equal(total("treasury"), 30_100_000n * UNIT);
    // Without the carry Astar mints one planck less per remaining block and pot (both values are odd).
    assert.equal(switched.remainder.collator - genesis.remainder.collator, BigInt(left));
  });
});
