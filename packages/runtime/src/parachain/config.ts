import { concatBytes, PARA_RUNTIME_ID, registry as wireRegistry } from "@parapipe/primitives";
import type { Codec } from "@polkadot/types/types";

/**
 * The parachain runtime's parameters: what Substrate compiles into the runtime as constants
 * (`MILLISECS_PER_BLOCK`, `UNINCLUDED_SEGMENT_CAPACITY`, `BLOCK_PROCESSING_VELOCITY`, `MAXIMUM_BLOCK_WEIGHT`
 * ...). parapipe has no WASM, so the runtime's "code" (`:code` in state, and the validation code
 * registered on the relay chain) is the runtime's name followed by these parameters, SCALE-encoded. The node
 * instantiates the runtime from `:code`; changing them is a runtime upgrade, as upstream.
 */
export interface ParaRuntimeConfig {
  specVersion: number;
  paraId: number;
  /** Para block time / Aura slot (6000 async, 12000 sync). */
  paraSlotDurationMs: number;
  relaySlotDurationMs: number;
  /** `UNINCLUDED_SEGMENT_CAPACITY` (3 async, 1 sync). */
  unincludedSegmentCapacity: number;
  /** `BLOCK_PROCESSING_VELOCITY` (1). */
  velocity: number;
  /** `pallet_aura::AllowMultipleBlocksPerSlot` (true with async backing). */
  allowMultipleBlocksPerSlot: boolean;
  /** `MAXIMUM_BLOCK_WEIGHT` in ms of ref-time (2000 async, 500 sync). */
  blockRefTimeMs: number;
  /** `NORMAL_DISPATCH_RATIO` in parts per million (750_000). */
  normalDispatchRatioPpm: number;
  /** `ExistentialDeposit` in planck. */
  existentialDeposit: bigint;
  /** SS58 prefix (Astar: 5). */
  ss58Prefix: number;
  /**
   * The inflation cycle (Astar's `CycleConfiguration`, a runtime constant upstream): part of the code, so a
   * relay validator can run the PVF from the validation code alone.
   */
  cycle: {
    periodsPerCycle: number;
    erasPerVotingSubperiod: number;
    erasPerBuildAndEarnSubperiod: number;
    blocksPerEra: number;
  };
}

/** The runtime name at the start of `:code` (also the chain spec's `code`). */
export const PARA_RUNTIME_NAME: string = PARA_RUNTIME_ID;

const CONFIG_TYPE = "(u32, u32, u64, u64, u32, u32, bool, u64, u32, u128, u16, (u32, u32, u32, u32))";

/** `:code` for a config: UTF-8 name ++ 0x00 ++ SCALE(config). */
export function encodeParaCode(cfg: ParaRuntimeConfig): Uint8Array {
  const body = wireRegistry
    .createType(CONFIG_TYPE, [
      cfg.specVersion,
      cfg.paraId,
      cfg.paraSlotDurationMs,
      cfg.relaySlotDurationMs,
      cfg.unincludedSegmentCapacity,
      cfg.velocity,
      cfg.allowMultipleBlocksPerSlot,
      cfg.blockRefTimeMs,
      cfg.normalDispatchRatioPpm,
      cfg.existentialDeposit,
      cfg.ss58Prefix,
      [
        cfg.cycle.periodsPerCycle,
        cfg.cycle.erasPerVotingSubperiod,
        cfg.cycle.erasPerBuildAndEarnSubperiod,
        cfg.cycle.blocksPerEra,
      ],
    ])
    .toU8a();
  return concatBytes(new TextEncoder().encode(PARA_RUNTIME_NAME), new Uint8Array([0]), body);
}

/** Parses `:code`; undefined when it is not a parapipe parachain runtime. */
export function decodeParaCode(code: Uint8Array): ParaRuntimeConfig | undefined {
  const name = new TextEncoder().encode(PARA_RUNTIME_NAME);
  if (code.length <= name.length + 1 || code[name.length] !== 0) return undefined;
  for (let i = 0; i < name.length; i++) if (code[i] !== name[i]) return undefined;
  try {
    const t = wireRegistry.createType(CONFIG_TYPE, code.subarray(name.length + 1)) as unknown as Codec[];
    if (t.reduce((n, c) => n + c.encodedLength, 0) !== code.length - name.length - 1) return undefined;
    const n = (i: number) => (t[i] as unknown as { toNumber(): number }).toNumber();
    return {
      specVersion: n(0),
      paraId: n(1),
      paraSlotDurationMs: n(2),
      relaySlotDurationMs: n(3),
      unincludedSegmentCapacity: n(4),
      velocity: n(5),
      allowMultipleBlocksPerSlot: (t[6] as unknown as { isTrue: boolean }).isTrue,
      blockRefTimeMs: n(7),
      normalDispatchRatioPpm: n(8),
      existentialDeposit: (t[9] as unknown as { toBigInt(): bigint }).toBigInt(),
      ss58Prefix: n(10),
      cycle: (() => {
        const c = (t[11] as unknown as Codec[]).map((x) => (x as unknown as { toNumber(): number }).toNumber());
        return {
          periodsPerCycle: c[0]!,
          erasPerVotingSubperiod: c[1]!,
          erasPerBuildAndEarnSubperiod: c[2]!,
          blocksPerEra: c[3]!,
        };
      })(),
    };
  } catch {
    return undefined;
  }
}

/** Async-backing parameters (Astar after spec 1600): 6 s, capacity 3, velocity 1, 2 s of execution. */
export const ASYNC_BACKING_CONFIG: Omit<ParaRuntimeConfig, "paraId" | "cycle"> = {
  specVersion: 1600,
  paraSlotDurationMs: 6000,
  relaySlotDurationMs: 6000,
  unincludedSegmentCapacity: 3,
  velocity: 1,
  allowMultipleBlocksPerSlot: true,
  blockRefTimeMs: 2000,
  normalDispatchRatioPpm: 750_000,
  existentialDeposit: 1_000_000n,
  ss58Prefix: 5,
};

/** Sync-backing parameters (before): 12 s, capacity 1, 0.5 s of execution. */
export const SYNC_BACKING_CONFIG: Omit<ParaRuntimeConfig, "paraId" | "cycle"> = {
  ...ASYNC_BACKING_CONFIG,
  specVersion: 1501,
  paraSlotDurationMs: 12000,
  unincludedSegmentCapacity: 1,
  allowMultipleBlocksPerSlot: false,
  blockRefTimeMs: 500,
};

/**
 * Astar's inflation parameters at the async-backing switch (astar-docs tokenomics2, 2025-04): 7 % maximum
 * inflation; treasury 5 %, collators 3.2 %, dApps 13 %, base stakers 10 %, adjustable stakers 55 %, bonus
 * 13.8 %; ideal staking 50 %; no decay. Perquintill parts of 10^18.
 */
export const ASTAR_INFLATION_PARAMETERS = {
  maxInflationRate: 70_000_000_000_000_000n,
  treasuryPart: 50_000_000_000_000_000n,
  collatorsPart: 32_000_000_000_000_000n,
  dappsPart: 130_000_000_000_000_000n,
  baseStakersPart: 100_000_000_000_000_000n,
  adjustableStakersPart: 550_000_000_000_000_000n,
  bonusPart: 138_000_000_000_000_000n,
  idealStakingRate: 500_000_000_000_000_000n,
  decayRate: 1_000_000_000_000_000_000n,
} as const;

/** Astar's cycle at the switch: 3 periods of (11 voting + 111 build&earn) eras of one day (14,400 blocks at 6 s). */
export const ASTAR_CYCLE = {
  periodsPerCycle: 3,
  erasPerVotingSubperiod: 11,
  erasPerBuildAndEarnSubperiod: 111,
  blocksPerEra: 14_400,
} as const;
