import { toHex } from "../hashing.js";
import { formatAccount, formatPerquintill } from "./codec.js";
import { ChainSpecError } from "./errors.js";
import type {
  BalancesGenesis,
  ChainProperties,
  ChainSpec,
  ChainType,
  InflationParams,
  ParaGenesisConfig,
  RelayGenesisConfig,
} from "./types.js";

/** Genesis of a plain spec as JSON: the runtime code and the patch of the spec's kind. */
export interface PlainGenesisJson {
  runtimeGenesis: { code: string; patch: Record<string, unknown> };
}

/** Genesis of a raw spec as JSON: storage sorted by key. */
export interface RawGenesisJson {
  raw: { top: Record<string, string>; childrenDefault: Record<string, never> };
}

/** A chain spec in Substrate's JSON format, as `build-spec` prints it. */
export interface ChainSpecJson {
  name: string;
  id: string;
  chainType: ChainType;
  bootNodes: string[];
  protocolId?: string;
  properties: ChainProperties;
  /** Parachain specs: Cumulus' `Extensions` spelling, the one Zombienet rewrites. */
  relay_chain?: string;
  para_id?: number;
  codeSubstitutes: Record<string, never>;
  genesis: PlainGenesisJson | RawGenesisJson;
}

/**
 * The JSON of a parsed spec, such that `parseChainSpec(chainSpecToJson(x))` deep-equals `x`: camelCase genesis
 * keys, amounts and ratios as decimal strings, accounts as SS58 with the spec's `ss58Format`. A raw spec is
 * written raw.
 *
 * The relay patch is written the way Zombienet can edit it: validators as `session.keys`
 * (`[v, v, {aura: v}]`) and an empty `aura.authorities`, because Zombienet's `clearAuthorities` empties those
 * two lists in place and fails when they do not exist.
 */
export function chainSpecToJson(spec: ChainSpec): ChainSpecJson {
  if (spec.genesis.kind === "raw") return withGenesis(spec, rawGenesisJson(spec.genesis.top));
  const ss58 = spec.properties.ss58Format;
  const { relay, para } = spec.genesis;
  let patch: Record<string, unknown>;
  if (spec.kind === "relay") {
    if (relay === undefined)
      throw new ChainSpecError("genesis.runtimeGenesis.patch", "missing the relay genesis config");
    patch = relayPatchJson(relay, ss58);
  } else {
    if (para === undefined) throw new ChainSpecError("genesis.runtimeGenesis.patch", "missing the para genesis config");
    patch = paraPatchJson(para, ss58);
  }
  return withGenesis(spec, { runtimeGenesis: { code: toHex(spec.genesis.code), patch } });
}

/**
 * The raw form of `spec` (what `build-spec --raw` prints): the same top-level fields and `genesis.raw.top`
 * holding `top`, sorted by key. Throws {@link ChainSpecError} on a key given twice.
 */
export function rawChainSpecJson(spec: ChainSpec, top: Iterable<readonly [Uint8Array, Uint8Array]>): ChainSpecJson {
  const entries = new Map<string, string>();
  for (const [k, v] of top) {
    const key = toHex(k);
    if (entries.has(key)) throw new ChainSpecError(`genesis.raw.top[${JSON.stringify(key)}]`, "duplicate storage key");
    entries.set(key, toHex(v));
  }
  return withGenesis(spec, rawGenesisJson(entries));
}

function rawGenesisJson(top: ReadonlyMap<string, string>): RawGenesisJson {
  const sorted: Record<string, string> = {};
  // lower-case hex strings sort in the same order as the bytes they encode
  for (const key of [...top.keys()].sort()) sorted[key] = top.get(key)!;
  return { raw: { top: sorted, childrenDefault: {} } };
}

function withGenesis(spec: ChainSpec, genesis: PlainGenesisJson | RawGenesisJson): ChainSpecJson {
  // Substrate's field order, for readable diffs against other `build-spec` output
  return {
    name: spec.name,
    id: spec.id,
    chainType: spec.chainType,
    bootNodes: [...spec.bootNodes],
    ...(spec.protocolId !== undefined ? { protocolId: spec.protocolId } : {}),
    properties: { ...spec.properties },
    ...(spec.kind === "para" && spec.relayChain !== undefined ? { relay_chain: spec.relayChain } : {}),
    ...(spec.kind === "para" && spec.paraId !== undefined ? { para_id: spec.paraId } : {}),
    codeSubstitutes: {},
    genesis,
  };
}

function balancesJson(b: BalancesGenesis, ss58: number) {
  return { balances: b.balances.map(({ account, amount }) => [formatAccount(account, ss58), amount.toString()]) };
}

function inflationParamsJson(p: InflationParams): Record<keyof InflationParams, string> {
  return {
    maxInflationRate: formatPerquintill(p.maxInflationRate),
    treasuryPart: formatPerquintill(p.treasuryPart),
    collatorsPart: formatPerquintill(p.collatorsPart),
    dappsPart: formatPerquintill(p.dappsPart),
    baseStakersPart: formatPerquintill(p.baseStakersPart),
    adjustableStakersPart: formatPerquintill(p.adjustableStakersPart),
    bonusPart: formatPerquintill(p.bonusPart),
    idealStakingRate: formatPerquintill(p.idealStakingRate),
    decayRate: formatPerquintill(p.decayRate),
  };
}

function paraPatchJson(p: ParaGenesisConfig, ss58: number): Record<string, unknown> {
  const acc = (a: Uint8Array) => formatAccount(a, ss58);
  const patch: Record<string, unknown> = {
    system: {
      blockRefTimeMs: p.system.blockRefTimeMs,
      normalDispatchRatio: formatPerquintill(p.system.normalDispatchRatio),
    },
    balances: balancesJson(p.balances, ss58),
    parachainInfo: { parachainId: p.parachainInfo.parachainId },
    parachainSystem: { ...p.parachainSystem },
    aura: {
      authorities: p.aura.authorities.map(acc),
      slotDurationMs: p.aura.slotDurationMs,
      allowMultipleBlocksPerSlot: p.aura.allowMultipleBlocksPerSlot,
    },
    collatorSelection: { invulnerables: p.collatorSelection.invulnerables.map(acc) },
  };
  if (p.sudo !== undefined) patch["sudo"] = { key: acc(p.sudo.key) };
  patch["inflation"] = { params: inflationParamsJson(p.inflation.params), cycle: { ...p.inflation.cycle } };
  return patch;
}

function relayPatchJson(r: RelayGenesisConfig, ss58: number): Record<string, unknown> {
  const acc = (a: Uint8Array) => formatAccount(a, ss58);
  const c = r.configuration.config;
  const config: Record<string, unknown> = {
    asyncBackingParams: { ...c.asyncBackingParams },
    minimumBackingVotes: c.minimumBackingVotes,
    groupRotationFrequency: c.groupRotationFrequency,
    availabilityPeriod: c.availabilityPeriod,
    maxPovSize: c.maxPovSize,
  };
  if (c.maxCodeSize !== undefined) config["maxCodeSize"] = c.maxCodeSize;
  config["schedulingLookahead"] = c.schedulingLookahead;
  const patch: Record<string, unknown> = { balances: balancesJson(r.balances, ss58) };
  if (r.sudo !== undefined) patch["sudo"] = { key: acc(r.sudo.key) };
  patch["session"] = { keys: r.session.validators.map((v) => [acc(v), acc(v), { aura: acc(v) }]) };
  patch["aura"] = { slotDurationMs: r.aura.slotDurationMs, authorities: [] };
  patch["configuration"] = { config };
  patch["paras"] = {
    paras: r.paras.paras.map((p) => [
      p.paraId,
      { genesisHead: toHex(p.genesisHead), validationCode: toHex(p.validationCode), paraKind: p.paraKind },
    ]),
  };
  return patch;
}
