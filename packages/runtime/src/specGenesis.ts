import { type ChainSpec, genesisFromStorage, rawGenesisEntries } from "@parapipe/primitives";
import { paraRuntimeFromCode, paraRuntimeFromSpec, RuntimeCodeError } from "./parachain/genesis.js";
import { CODE_KEY, type ParachainRuntime } from "./parachain/runtime.js";
import type { RelayRuntime } from "./relay/runtime.js";
import { relayRuntimeFromCode, relayRuntimeFromSpec } from "./relay/spec.js";

/** A chain's runtime and genesis block from its spec, plain or raw. */
export interface SpecGenesis<R> {
  runtime: R;
  /** The genesis storage (a raw spec's `genesis.raw.top`, or what the runtime builds from a plain one). */
  storage: Array<[Uint8Array, Uint8Array]>;
  stateRoot: Uint8Array;
  header: Uint8Array;
  hash: Uint8Array;
}

function codeOf(spec: ChainSpec, storage: Array<[Uint8Array, Uint8Array]>): Uint8Array {
  const key = Buffer.from(CODE_KEY).toString("hex");
  const entry = storage.find(([k]) => Buffer.from(k).toString("hex") === key);
  if (!entry)
    throw new RuntimeCodeError(
      { code: "BAD_RUNTIME_CODE", detail: "no :code" },
      `chain spec ${spec.id}: the raw genesis has no :code entry (0x3a636f6465)`,
    );
  return entry[1];
}

/**
 * The relay runtime and genesis of a relay spec. A plain spec's genesis is built by the runtime; a raw spec
 * (`build-spec --raw`, what Zombienet starts nodes with) carries its storage, and the runtime comes from its
 * `:code`, which holds every runtime parameter.
 */
export function relayGenesisFromSpec(spec: ChainSpec): SpecGenesis<RelayRuntime> {
  if (spec.genesis.kind === "raw") {
    const storage = rawGenesisEntries(spec);
    return { runtime: relayRuntimeFromCode(codeOf(spec, storage)), storage, ...genesisFromStorage(storage) };
  }
  const { runtime, genesis } = relayRuntimeFromSpec(spec);
  const storage = runtime.genesisStorage(genesis);
  return { runtime, storage, ...genesisFromStorage(storage) };
}

/** The parachain runtime and genesis of a para spec, plain or raw (see `relayGenesisFromSpec`). */
export function paraGenesisFromSpec(spec: ChainSpec): SpecGenesis<ParachainRuntime> {
  if (spec.genesis.kind === "raw") {
    const storage = rawGenesisEntries(spec);
    return { runtime: paraRuntimeFromCode(codeOf(spec, storage)), storage, ...genesisFromStorage(storage) };
  }
  const { runtime, genesis } = paraRuntimeFromSpec(spec);
  const storage = runtime.genesisStorage(genesis);
  return { runtime, storage, ...genesisFromStorage(storage) };
}
