import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  ChainSpecError,
  cryptoReady,
  genesisFromStorage,
  parseChainSpec,
  rawChainSpecJson,
  rawGenesisEntries,
  toHex,
  toSs58,
} from "@parapipe/primitives";
import {
  paraConfigFromSpec,
  paraRuntimeFromCode,
  paraRuntimeFromSpec,
  paraRuntimeFromState,
} from "../../src/parachain/genesis.js";
import { alice, bob } from "./fixtures.js";

/** A plain Astar-like para spec as a user writes it (Astar's parameters at the async-backing switch). */
function paraSpecJson() {
  const a = toSs58(alice.publicKey, 5);
  const b = toSs58(bob.publicKey, 5);
  return {
    name: "Astar-like Local",
    id: "astar_local",
    chainType: "Local",
    bootNodes: [],
    properties: { ss58Format: 5, tokenDecimals: 18, tokenSymbol: "ASTR" },
    relay_chain: "rococo_local",
    para_id: 2000,
    genesis: {
      runtimeGenesis: {
        code: toHex(new TextEncoder().encode("parapipe-para-runtime")),
        patch: {
          system: { blockRefTimeMs: 2000 },
          balances: {
            balances: [
              [a, "1000000000000000000000000"],
              [b, "1000000000000000000000000"],
            ],
          },
          parachainInfo: { parachainId: 2000 },
          parachainSystem: { unincludedSegmentCapacity: 3, velocity: 1, relaySlotDurationMs: 6000 },
          aura: { authorities: [a, b], slotDurationMs: 6000, allowMultipleBlocksPerSlot: true },
          collatorSelection: { invulnerables: [a, b] },
          sudo: { key: a },
          inflation: {
            params: {
              maxInflationRate: "0.07",
              treasuryPart: "0.05",
              collatorsPart: "0.032",
              dappsPart: "0.13",
              baseStakersPart: "0.1",
              adjustableStakersPart: "0.55",
              bonusPart: "0.138",
              idealStakingRate: "0.5",
            },
            cycle: {
              periodsPerCycle: 3,
              erasPerVotingSubperiod: 11,
              erasPerBuildAndEarnSubperiod: 111,
              blocksPerEra: 14400,
            },
          },
        },
      },
    },
  };
}

describe("genesis from a chain spec", () => {
  before(cryptoReady);

  it("builds the runtime and genesis of a plain para spec, with Astar's async parameters", () => {
    const spec = parseChainSpec(JSON.stringify(paraSpecJson()));
    const cfg = paraConfigFromSpec(spec);
    assert.equal(cfg.paraSlotDurationMs, 6000);
    assert.equal(cfg.unincludedSegmentCapacity, 3);
    assert.equal(cfg.normalDispatchRatioPpm, 750_000);
    const { runtime, genesis } = paraRuntimeFromSpec(spec);
    const g = runtime.genesis(genesis);
    const state = runtime.stateAt(g.store, g.stateRoot);
    const cfgNow = runtime.inflation.config(state);
    assert.ok(cfgNow.collatorRewardPerBlock > 0n);
    // The runtime of a state is found again from :code (as a node does for a raw spec), and the validation
    // code alone (what a relay validator has) gives the same runtime, inflation cycle included.
    assert.equal(paraRuntimeFromState(state).config.paraSlotDurationMs, 6000);
    assert.deepEqual(paraRuntimeFromCode(runtime.code).config, runtime.config);
    assert.deepEqual(paraRuntimeFromCode(runtime.code).cycle, {
      periodsPerCycle: 3,
      erasPerVotingSubperiod: 11,
      erasPerBuildAndEarnSubperiod: 111,
      blocksPerEra: 14400,
    });
    assert.throws(() => paraRuntimeFromCode(new TextEncoder().encode("parapipe-para-runtime")), {
      code: "BAD_RUNTIME_CODE",
    });
  });

  it("gives the same genesis hash from the plain spec and from its raw form", () => {
    const spec = parseChainSpec(JSON.stringify(paraSpecJson()));
    const { runtime, genesis } = paraRuntimeFromSpec(spec);
    const plainHash = runtime.genesis(genesis).hash;
    const raw = parseChainSpec(JSON.stringify(rawChainSpecJson(spec, runtime.genesisStorage(genesis))));
    assert.equal(raw.genesis.kind, "raw");
    assert.equal(toHex(genesisFromStorage(rawGenesisEntries(raw)).hash), toHex(plainHash));
  });

  it("refuses a malformed spec with the bad field named, and a relay spec where a para spec is needed", () => {
    const bad = paraSpecJson();
    (bad.genesis.runtimeGenesis.patch.aura as Record<string, unknown>)["slotDuratonMs"] = 6000;
    assert.throws(
      () => parseChainSpec(JSON.stringify(bad)),
      (e: unknown) => e instanceof ChainSpecError && e.path.includes("slotDuratonMs"),
    );
    assert.throws(() => rawGenesisEntries(parseChainSpec(JSON.stringify(paraSpecJson()))), {
      code: "INVALID_CHAIN_SPEC",
    });
  });
});
