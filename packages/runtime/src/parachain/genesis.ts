import { type ChainSpec, ParapipeError, type StateOverlay, toHex } from "@parapipe/primitives";
import { ASYNC_BACKING_CONFIG, decodeParaCode, type ParaRuntimeConfig } from "./config.js";
import { CODE_KEY, ParachainRuntime, type ParaGenesis } from "./runtime.js";

/** Instantiating a runtime from a spec or from state failed. */
export class RuntimeCodeError extends ParapipeError<
  { code: "NOT_A_PARA_SPEC"; id: string } | { code: "BAD_RUNTIME_CODE"; detail: string }
> {}

/** The runtime config a plain para spec describes (parameters not in the spec take Astar's async values). */
export function paraConfigFromSpec(spec: ChainSpec): ParaRuntimeConfig {
  if (spec.kind !== "para" || spec.genesis.kind !== "plain" || !spec.genesis.para) {
    throw new RuntimeCodeError(
      { code: "NOT_A_PARA_SPEC", id: spec.id },
      `chain spec ${spec.id} is not a plain parachain spec`,
    );
  }
  const g = spec.genesis.para;
  return {
    ...ASYNC_BACKING_CONFIG,
    specVersion: g.aura.allowMultipleBlocksPerSlot ? ASYNC_BACKING_CONFIG.specVersion : 1501,
    paraId: g.parachainInfo.parachainId,
    paraSlotDurationMs: g.aura.slotDurationMs,
    relaySlotDurationMs: g.parachainSystem.relaySlotDurationMs,
    unincludedSegmentCapacity: g.parachainSystem.unincludedSegmentCapacity,
    velocity: g.parachainSystem.velocity,
    allowMultipleBlocksPerSlot: g.aura.allowMultipleBlocksPerSlot,
    blockRefTimeMs: g.system.blockRefTimeMs,
    normalDispatchRatioPpm: Number(g.system.normalDispatchRatio / 1_000_000_000_000n),
    ss58Prefix: spec.properties.ss58Format,
    cycle: g.inflation.cycle,
  };
}

/** The runtime and genesis content of a plain para spec. */
export function paraRuntimeFromSpec(spec: ChainSpec): { runtime: ParachainRuntime; genesis: ParaGenesis } {
  const cfg = paraConfigFromSpec(spec);
  const g = spec.genesis.kind === "plain" ? spec.genesis.para! : undefined;
  if (!g)
    throw new RuntimeCodeError({ code: "NOT_A_PARA_SPEC", id: spec.id }, `chain spec ${spec.id} has no para genesis`);
  const runtime = new ParachainRuntime(cfg);
  return {
    runtime,
    genesis: {
      balances: g.balances.balances.map((b) => [b.account, b.amount] as const),
      auraAuthorities: g.aura.authorities,
      invulnerables: g.collatorSelection.invulnerables,
      sudoKey: g.sudo?.key,
      inflation: { params: g.inflation.params, cycle: g.inflation.cycle },
    },
  };
}

/**
 * The runtime of a chain state, as a Substrate node takes it from `:code` (which carries every runtime
 * parameter, the inflation cycle included). Instances are cached by code.
 */
export function paraRuntimeFromState(state: Pick<StateOverlay, "get">): ParachainRuntime {
  const code = state.get(CODE_KEY);
  if (!code) throw new RuntimeCodeError({ code: "BAD_RUNTIME_CODE", detail: "no :code" }, "state has no :code");
  return paraRuntimeFromCode(code);
}

/** The runtime a validation code (`:code`) describes; the PVF's entry point. Cached by code. */
export function paraRuntimeFromCode(code: Uint8Array): ParachainRuntime {
  const key = toHex(code);
  let rt = cache.get(key);
  if (!rt) {
    const cfg = decodeParaCode(code);
    if (!cfg) {
      throw new RuntimeCodeError(
        { code: "BAD_RUNTIME_CODE", detail: "not a parachain runtime" },
        "the code is not a parapipe parachain runtime",
      );
    }
    rt = new ParachainRuntime(cfg);
    cache.set(key, rt);
  }
  return rt;
}

const cache = new Map<string, ParachainRuntime>();
