import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { cryptoReady } from "@parapipe/primitives";
import { blocksPerCycle } from "../../src/parachain/inflation/math.js";
import { devChain, SMALL_CYCLE } from "./fixtures.js";

/**
 * Astar halved per-block emissions when block time halved (AdjustBlockRewardMigration) so annual issuance
 * stays the same. parapipe goes further: the same chain run at 12 s and at 6 s issues the same total over a
 * cycle to the planck (the floor-division remainder is carried and minted at the cycle's end).
 */
describe("ASTR issuance at 12 s and at 6 s", () => {
  before(cryptoReady);

  function runCycle(mode: "sync" | "async") {
    const cycle = mode === "sync" ? SMALL_CYCLE : { ...SMALL_CYCLE, blocksPerEra: SMALL_CYCLE.blocksPerEra * 2 };
    const chain = devChain(mode, {}, cycle);
    const rt = chain.runtime;
    const genesisState = rt.stateAt(chain.store, chain.head.stateRoot);
    const config = rt.inflation.config(genesisState);
    const issuance0 = rt.balances.totalIssuance(genesisState);
    const n = blocksPerCycle(cycle);
    const events: string[] = [];
    const pools: Array<{ block: number; name: string; amounts: string }> = [];
    let issuedInCycle = 0n;
    // One block past the cycle: the last era's pools and the period's bonus are minted when the next starts.
    for (let i = 1; i <= n + 1; i++) {
      // 12 s para blocks take two 6 s relay slots; 6 s para blocks one.
      const b = chain.produce({ relaySlot: BigInt(1000 + (mode === "sync" ? 2 : 1) * i), inclusionDelay: 0 });
      for (const e of b.events) {
        if (e.pallet !== "Inflation") continue;
        events.push(`${i}:${e.name}`);
        if (e.name === "EraRewardsMinted" || e.name === "BonusRewardMinted") {
          pools.push({
            block: i,
            name: e.name,
            amounts: JSON.stringify(e.fields, (_, v) => (typeof v === "bigint" ? v.toString() : v)),
          });
        }
      }
      if (i === n) issuedInCycle = rt.balances.totalIssuance(rt.stateAt(chain.store, chain.head.stateRoot)) - issuance0;
    }
    return { n, config, issuance0, issued: issuedInCycle, events, pools };
  }

  it("issues the same total over a cycle at 12 s and at 6 s, to the planck", () => {
    const slow = runCycle("sync");
    const fast = runCycle("async");
    assert.equal(slow.n, 12);
    assert.equal(fast.n, 24);
    assert.equal(slow.issuance0, fast.issuance0);
    assert.ok(slow.issued > 0n);
    assert.equal(fast.issued, slow.issued);
    // Both cycles ended with a recalculation in their last block, carry included.
    assert.ok(slow.events.includes("12:NewInflationConfiguration"), slow.events.join(","));
    assert.ok(fast.events.includes("24:NewInflationConfiguration"), fast.events.join(","));
    // Build&earn eras 2 and 3 mint their staker/dApp pools as they end, the period its bonus: same amounts,
    // at the same point of the schedule (blocks 9 and 13 at 12 s, 17 and 25 at 6 s).
    assert.deepEqual(
      slow.pools.map((p) => `${p.block}:${p.name}`),
      ["9:EraRewardsMinted", "13:EraRewardsMinted", "13:BonusRewardMinted"],
    );
    assert.deepEqual(
      fast.pools.map((p) => `${p.block}:${p.name}`),
      ["17:EraRewardsMinted", "25:EraRewardsMinted", "25:BonusRewardMinted"],
    );
    assert.deepEqual(
      fast.pools.map((p) => p.amounts),
      slow.pools.map((p) => p.amounts),
    );
  });

  it("pays half the per-block collator and treasury reward at 6 s", () => {
    const slow = runCycle("sync");
    const fast = runCycle("async");
    assert.equal(fast.config.collatorRewardPerBlock, slow.config.collatorRewardPerBlock / 2n);
    assert.equal(fast.config.treasuryRewardPerBlock, slow.config.treasuryRewardPerBlock / 2n);
    // Per-era pools are per era, so unchanged.
    assert.equal(fast.config.dappRewardPoolPerEra, slow.config.dappRewardPoolPerEra);
  });
});
