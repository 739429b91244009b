import { type ChainSpec, devKeypair, parseChainSpec, toHex, toSs58 } from "@parapipe/primitives";
import { ASTAR_CYCLE, ASTAR_INFLATION_PARAMETERS } from "./parachain/config.js";
import { paraRuntimeFromSpec } from "./parachain/genesis.js";

/** Backing mode: async (capacity 3, relay {3, 2}, para slot = relay slot) or sync (capacity 1, {0, 0}, 2 relay slots). */
export type BackingMode = "async" | "sync";

/** Options of `devChainSpecs`. */
export interface DevChainSpecsOptions {
  mode: BackingMode;
  /** Relay slot in ms (6000 on a real chain; tests scale it down). */
  relaySlotMs: number;
  /** Dev names of the relay validators (default Alice, Bob, Charlie, Dave). */
  validators?: string[];
  /** Dev names of the para collators (default Alice, Bob). */
  collators?: string[];
  paraId?: number;
  /** Relay `availabilityPeriod` in blocks (default 10). */
  availabilityPeriod?: number;
  minimumBackingVotes?: number;
  /** Blocks per inflation era (default Astar's 14400 at 6 s; halved when sync). */
  blocksPerEra?: number;
  /**
   * Names the pair in the chain ids (`parapipe_relay_<variant>`, `parapipe_para_<variant>`; default the mode).
   * Specs with another genesis need another id: a node keeps its database under `chains/<id>`.
   */
  variant?: string;
}

const DEV_ACCOUNTS = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];
const perquintill = (v: bigint) => (Number(v) / 1e18).toString();

/**
 * A relay spec and an Astar-like para spec that fit together (the relay registers the para with its genesis
 * head and code, as `export-genesis-head` + a relay spec would), for async or sync backing at any relay slot
 * duration. Every time in both runtimes derives from `relaySlotMs`, so a scaled network behaves like a real
 * one, only faster. The dev accounts are funded on both chains.
 */
export function devChainSpecs(o: DevChainSpecsOptions): { relay: ChainSpec; para: ChainSpec } {
  const validators = o.validators ?? ["Alice", "Bob", "Charlie", "Dave"];
  const collators = o.collators ?? ["Alice", "Bob"];
  const paraId = o.paraId ?? 2000;
  const asyncMode = o.mode === "async";
  const para = parseChainSpec({
    name: `Astar-like Dev (${o.mode} backing, ${(o.mode === "async" ? 1 : 2) * (o.relaySlotMs / 1000)} s blocks)`,
    id: `parapipe_para_${o.variant ?? o.mode}`,
    chainType: "Development",
    bootNodes: [],
    properties: { ss58Format: 5, tokenDecimals: 18, tokenSymbol: "ASTR" },
    relay_chain: `parapipe_relay_${o.variant ?? o.mode}`,
    para_id: paraId,
    genesis: {
      runtimeGenesis: {
        code: toHex(new TextEncoder().encode("parapipe-para-runtime")),
        patch: {
          system: { blockRefTimeMs: Math.max(1, Math.round(((asyncMode ? 2000 : 500) * o.relaySlotMs) / 6000)) },
          balances: {
            balances: DEV_ACCOUNTS.map((n) => [toSs58(devKeypair(n).publicKey, 5), "1000000000000000000000000"]),
          },
          parachainInfo: { parachainId: paraId },
          parachainSystem: {
            unincludedSegmentCapacity: asyncMode ? 3 : 1,
            velocity: 1,
            relaySlotDurationMs: o.relaySlotMs,
          },
          aura: {
            authorities: collators.map((n) => toSs58(devKeypair(n).publicKey, 5)),
            slotDurationMs: asyncMode ? o.relaySlotMs : 2 * o.relaySlotMs,
            allowMultipleBlocksPerSlot: asyncMode,
          },
          collatorSelection: { invulnerables: collators.map((n) => toSs58(devKeypair(n).publicKey, 5)) },
          sudo: { key: toSs58(devKeypair("Alice").publicKey, 5) },
          inflation: {
            params: {
              maxInflationRate: perquintill(ASTAR_INFLATION_PARAMETERS.maxInflationRate),
              treasuryPart: perquintill(ASTAR_INFLATION_PARAMETERS.treasuryPart),
              collatorsPart: perquintill(ASTAR_INFLATION_PARAMETERS.collatorsPart),
              dappsPart: perquintill(ASTAR_INFLATION_PARAMETERS.dappsPart),
              baseStakersPart: perquintill(ASTAR_INFLATION_PARAMETERS.baseStakersPart),
              adjustableStakersPart: perquintill(ASTAR_INFLATION_PARAMETERS.adjustableStakersPart),
              bonusPart: perquintill(ASTAR_INFLATION_PARAMETERS.bonusPart),
              idealStakingRate: perquintill(ASTAR_INFLATION_PARAMETERS.idealStakingRate),
            },
            cycle: {
              periodsPerCycle: ASTAR_CYCLE.periodsPerCycle,
              erasPerVotingSubperiod: ASTAR_CYCLE.erasPerVotingSubperiod,
              erasPerBuildAndEarnSubperiod: ASTAR_CYCLE.erasPerBuildAndEarnSubperiod,
              blocksPerEra: o.blocksPerEra ?? (asyncMode ? ASTAR_CYCLE.blocksPerEra : ASTAR_CYCLE.blocksPerEra / 2),
            },
          },
        },
      },
    },
  });
  const { runtime, genesis } = paraRuntimeFromSpec(para);
  const g = runtime.genesis(genesis);
  const relay = devRelaySpec({
    mode: o.mode,
    relaySlotMs: o.relaySlotMs,
    validators,
    paras: [{ id: paraId, genesisHead: g.header, code: runtime.code }],
    ...(o.variant === undefined ? {} : { variant: o.variant }),
    ...(o.availabilityPeriod === undefined ? {} : { availabilityPeriod: o.availabilityPeriod }),
    ...(o.minimumBackingVotes === undefined ? {} : { minimumBackingVotes: o.minimumBackingVotes }),
  });
  return { relay, para };
}

/** Options of `devRelaySpec`. */
export interface DevRelaySpecOptions {
  mode: BackingMode;
  relaySlotMs: number;
  /** Dev names of the validators. */
  validators: string[];
  /** Paras registered at genesis, with their genesis head and validation code. */
  paras: Array<{ id: number; genesisHead: Uint8Array; code: Uint8Array }>;
  availabilityPeriod?: number;
  minimumBackingVotes?: number;
  /** See `DevChainSpecsOptions.variant`. */
  variant?: string;
}

/**
 * A dev relay spec: the named validators, the dev accounts funded, Alice as sudo, async {3, 2} or sync {0, 0}
 * backing params, `paras` registered at genesis.
 */
export function devRelaySpec(o: DevRelaySpecOptions): ChainSpec {
  const addr = (n: string) => toSs58(devKeypair(n).publicKey);
  return parseChainSpec({
    name: `Parapipe Dev Relay (${o.mode} backing, ${o.relaySlotMs / 1000} s slots)`,
    id: `parapipe_relay_${o.variant ?? o.mode}`,
    chainType: "Development",
    bootNodes: [],
    genesis: {
      runtimeGenesis: {
        code: toHex(new TextEncoder().encode("parapipe-relay-runtime")),
        patch: {
          balances: { balances: DEV_ACCOUNTS.map((n) => [addr(n), "1000000000000000000000"]) },
          session: { validators: o.validators.map(addr) },
          aura: { slotDurationMs: o.relaySlotMs },
          configuration: {
            config: {
              asyncBackingParams:
                o.mode === "async"
                  ? { maxCandidateDepth: 3, allowedAncestryLen: 2 }
                  : { maxCandidateDepth: 0, allowedAncestryLen: 0 },
              minimumBackingVotes: o.minimumBackingVotes ?? 2,
              groupRotationFrequency: 10,
              availabilityPeriod: o.availabilityPeriod ?? 10,
              maxPovSize: 5 * 1024 * 1024,
            },
          },
          paras: {
            paras: o.paras.map((p) => [
              p.id,
              { genesisHead: toHex(p.genesisHead), validationCode: toHex(p.code), paraKind: true },
            ]),
          },
          sudo: { key: addr("Alice") },
        },
      },
    },
  });
}
