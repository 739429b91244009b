import type { TypeRegistry } from "@polkadot/types";
import type { Codec } from "@polkadot/types/types";
import { type Pallet, palletErrors, WEIGHT_REF_TIME_PER_MICROS } from "../frame/pallet.js";
import { type StateAccess, StorageValue } from "../frame/storage.js";
import { ensureRoot } from "../pallets/system.js";
import {
  checkHostConfiguration,
  hostConfigurationFromCodec,
  hostConfigurationInput,
  type RelayHostConfiguration,
} from "./config.js";

/**
 * `configuration`: the paras host configuration (`ActiveConfig`) and the root calls that change the parts the
 * async-backing switch needs. Upstream applies a change two sessions later (`PendingConfigs`); parapipe has
 * one session, so a change applies from the next block.
 */
export function createConfiguration(registry: TypeRegistry, index: number) {
  const P = "Configuration";
  const ActiveConfig = new StorageValue(registry, P, "ActiveConfig", "RelayHostConfiguration", {
    docs: ["The active configuration for the current session."],
  });
  const errors = palletErrors(P, index, ["InvalidNewValue"] as const);
  const cache = new Map<string, RelayHostConfiguration>();

  function get(s: StateAccess): RelayHostConfiguration {
    const raw = s.get(ActiveConfig.key);
    const id = raw ? Buffer.from(raw).toString("hex") : "";
    let cfg = cache.get(id);
    if (!cfg) {
      cfg = hostConfigurationFromCodec(ActiveConfig.get(s));
      if (cache.size > 64) cache.clear();
      cache.set(id, cfg);
    }
    return cfg;
  }

  function update(s: StateAccess, change: (c: RelayHostConfiguration) => RelayHostConfiguration): void {
    const next = change(get(s));
    if (checkHostConfiguration(next) !== undefined) throw errors.error("InvalidNewValue");
    ActiveConfig.put(s, hostConfigurationInput(next));
  }

  const weight = () => 10n * WEIGHT_REF_TIME_PER_MICROS;
  const pallet: Pallet = {
    name: P,
    index,
    crate: "polkadot_runtime_parachains::configuration",
    storage: [ActiveConfig],
    errors: errors.meta,
    calls: [
      {
        name: "set_async_backing_params",
        index: 45,
        args: [{ name: "new", type: "AsyncBackingParams", typeName: "AsyncBackingParams" }],
        docs: ["Set the asynchronous backing parameters."],
        dispatchClass: "Operational",
        weight,
        dispatch(ctx, origin, args) {
          ensureRoot(origin);
          const v = args[0] as unknown as Record<string, Codec>;
          const n = (x: unknown) => (x as { toNumber(): number }).toNumber();
          update(ctx.state, (c) => ({
            ...c,
            asyncBackingParams: {
              maxCandidateDepth: n(v["maxCandidateDepth"]),
              allowedAncestryLen: n(v["allowedAncestryLen"]),
            },
          }));
        },
      },
      {
        name: "set_minimum_backing_votes",
        index: 52,
        args: [{ name: "new", type: "u32", typeName: "u32" }],
        docs: ["Set the minimum backing votes threshold."],
        dispatchClass: "Operational",
        weight,
        dispatch(ctx, origin, args) {
          ensureRoot(origin);
          const v = (args[0] as unknown as { toNumber(): number }).toNumber();
          update(ctx.state, (c) => ({ ...c, minimumBackingVotes: v }));
        },
      },
    ],
  };

  return {
    pallet,
    errors,
    storage: { ActiveConfig },
    /** The active host configuration. */
    get,
    genesis(s: StateAccess, cfg: RelayHostConfiguration): void {
      ActiveConfig.put(s, hostConfigurationInput(cfg));
    },
  };
}

/** The `Configuration` pallet instance type. */
export type ConfigurationPallet = ReturnType<typeof createConfiguration>;
