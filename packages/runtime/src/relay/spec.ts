import { type ChainSpec, type StateOverlay, toHex } from "@parapipe/primitives";
import { CODE_KEY } from "../parachain/runtime.js";
import { decodeRelayCode, relayConfigFromSpec } from "./config.js";
import { RelayRuntimeError } from "./errors.js";
import { type RelayGenesis, RelayRuntime } from "./runtime.js";

/** The relay runtime and genesis content of a plain relay spec. */
export function relayRuntimeFromSpec(spec: ChainSpec): { runtime: RelayRuntime; genesis: RelayGenesis } {
  const cfg = relayConfigFromSpec(spec);
  const g = spec.genesis.kind === "plain" ? spec.genesis.relay! : undefined;
  if (!g) {
    throw new RelayRuntimeError(
      { code: "NOT_A_RELAY_SPEC", id: spec.id },
      `chain spec ${spec.id} has no relay genesis`,
    );
  }
  return {
    runtime: new RelayRuntime(cfg),
    genesis: {
      balances: g.balances.balances.map((b) => [b.account, b.amount] as const),
      sudoKey: g.sudo?.key,
      paras: g.paras.paras.map((p) => ({
        paraId: p.paraId,
        genesisHead: p.genesisHead,
        validationCode: p.validationCode,
      })),
    },
  };
}

/** The relay runtime of a chain state, from `:code` (cached by code). */
export function relayRuntimeFromState(state: Pick<StateOverlay, "get">): RelayRuntime {
  const code = state.get(CODE_KEY);
  if (!code) throw new RelayRuntimeError({ code: "BAD_RELAY_CODE", detail: "no :code" }, "state has no :code");
  return relayRuntimeFromCode(code);
}

/** The relay runtime a `:code` describes. Cached by code. */
export function relayRuntimeFromCode(code: Uint8Array): RelayRuntime {
  const key = toHex(code);
  let rt = cache.get(key);
  if (!rt) {
    const cfg = decodeRelayCode(code);
    if (!cfg) {
      throw new RelayRuntimeError(
        { code: "BAD_RELAY_CODE", detail: "not a relay runtime" },
        "the code is not a parapipe relay runtime",
      );
    }
    rt = new RelayRuntime(cfg);
    if (cache.size >= 16) cache.clear();
    cache.set(key, rt);
  }
  return rt;
}

const cache = new Map<string, RelayRuntime>();
