import { devKeypair, EMPTY_TRIE_ROOT, MemoryNodeStore, StateOverlay, Trie } from "@parapipe/primitives";
import type { Header } from "@polkadot/types/interfaces";
import { BlockContext } from "../../src/frame/context.js";
import {
  ASTAR_INFLATION_PARAMETERS,
  ASYNC_BACKING_CONFIG,
  type ParaRuntimeConfig,
  SYNC_BACKING_CONFIG,
} from "../../src/parachain/config.js";
import { DevParachain } from "../../src/parachain/devChain.js";
import type { CycleConfiguration, InflationParameters } from "../../src/parachain/inflation/math.js";
import { ParachainRuntime, type ParaGenesis } from "../../src/parachain/runtime.js";

export const UNIT = 1_000_000_000_000_000_000n;
export const alice = devKeypair("Alice");
export const bob = devKeypair("Bob");
export const charlie = devKeypair("Charlie");
export const dave = devKeypair("Dave");

/** Astar's inflation parameters at the async-backing switch. */
export const ASTAR_PARAMS: InflationParameters = { ...ASTAR_INFLATION_PARAMETERS };

/** A small cycle so a whole cycle runs in a test: 1 period of (1 voting + 2 build&earn) eras of 4 blocks. */
export const SMALL_CYCLE: CycleConfiguration = {
  periodsPerCycle: 1,
  erasPerVotingSubperiod: 1,
  erasPerBuildAndEarnSubperiod: 2,
  blocksPerEra: 4,
};

/** Genesis with Alice and Bob as collators, dev accounts funded, Alice sudo. */
export function devGenesis(
  cycle: CycleConfiguration = SMALL_CYCLE,
  extra: Array<[Uint8Array, bigint]> = [],
): ParaGenesis {
  return {
    balances: [
      [alice.publicKey, 1_000_000n * UNIT],
      [bob.publicKey, 1_000_000n * UNIT],
      [charlie.publicKey, 1_000_000n * UNIT],
      ...extra,
    ],
    auraAuthorities: [alice.publicKey, bob.publicKey],
    invulnerables: [alice.publicKey, bob.publicKey],
    sudoKey: alice.publicKey,
    inflation: { params: ASTAR_PARAMS, cycle },
  };
}

/** Async (6 s) or sync (12 s) runtime for para 2000, with overrides. */
export function paraRuntime(
  mode: "async" | "sync" = "async",
  over: Partial<ParaRuntimeConfig> = {},
  cycle = SMALL_CYCLE,
): ParachainRuntime {
  const base = mode === "async" ? ASYNC_BACKING_CONFIG : SYNC_BACKING_CONFIG;
  return new ParachainRuntime({ ...base, paraId: 2000, ...over }, cycle);
}

/** A dev chain on a fresh runtime. */
export function devChain(
  mode: "async" | "sync" = "async",
  over: Partial<ParaRuntimeConfig> = {},
  cycle = SMALL_CYCLE,
): DevParachain {
  return new DevParachain(paraRuntime(mode, over, cycle), devGenesis(cycle));
}

/** A bare execution context over an empty state, for exercising pallet hooks directly. */
export function bareContext(rt: ParachainRuntime, number = 1): BlockContext {
  const overlay = new StateOverlay(new Trie(new MemoryNodeStore(), EMPTY_TRIE_ROOT));
  const header = rt.registry.createType<Header>("Header", { number });
  return new BlockContext(rt.registry, overlay, header, number, new Uint8Array(32));
}
