import { readFileSync } from "node:fs";
import { type ChainSpec, ChainSpecError, parseChainSpec } from "@parapipe/primitives";
import { type BackingMode, devChainSpecs } from "@parapipe/runtime";
import { CliError } from "./errors.js";

/** A built-in chain spec: which of the pair, backing mode and relay slot. */
interface BuiltIn {
  kind: "relay" | "para";
  mode: BackingMode;
  relaySlotMs: number;
  summary: string;
}

/**
 * The built-in chain specs, by `--chain` name. `local`: the relay chain of the devnet (Alice, Bob, Charlie,
 * Dave; para 2000 registered at genesis; async backing {3, 2}; 6 s). `para-local`: the Astar-like para 2000
 * (collators Alice and Bob; ASTR, 18 decimals, SS58 prefix 5; Astar's inflation parameters; 6 s blocks). The
 * `-sync` variants are the pre-2024 pipeline (capacity 1, {0, 0}, 12 s para blocks); the `dev` variants scale
 * every time down to a 1 s relay slot, for tests. Each para spec fits the relay spec of the same variant: the
 * relay registers exactly its genesis head.
 */
export const BUILT_IN_CHAINS: Readonly<Record<string, BuiltIn>> = {
  local: { kind: "relay", mode: "async", relaySlotMs: 6000, summary: "relay chain, async backing, 6 s" },
  "local-sync": { kind: "relay", mode: "sync", relaySlotMs: 6000, summary: "relay chain, sync backing, 6 s" },
  dev: { kind: "relay", mode: "async", relaySlotMs: 1000, summary: "relay chain, async backing, 1 s (tests)" },
  "dev-sync": { kind: "relay", mode: "sync", relaySlotMs: 1000, summary: "relay chain, sync backing, 1 s (tests)" },
  "para-local": { kind: "para", mode: "async", relaySlotMs: 6000, summary: "para 2000 for `local`, 6 s blocks" },
  "para-local-sync": {
    kind: "para",
    mode: "sync",
    relaySlotMs: 6000,
    summary: "para 2000 for `local-sync`, 12 s blocks",
  },
  "para-dev": { kind: "para", mode: "async", relaySlotMs: 1000, summary: "para 2000 for `dev`, 1 s blocks" },
  "para-dev-sync": { kind: "para", mode: "sync", relaySlotMs: 1000, summary: "para 2000 for `dev-sync`, 2 s blocks" },
};

/** The relay spec a built-in para spec belongs to. */
export function relayOfBuiltIn(paraName: string): string | undefined {
  const b = BUILT_IN_CHAINS[paraName];
  if (b?.kind !== "para") return undefined;
  return paraName.replace(/^para-/, "");
}

/** A built-in spec by name (computed: the genesis head the relay registers comes from the para's runtime). */
export function builtInSpec(name: string): ChainSpec | undefined {
  const b = BUILT_IN_CHAINS[name];
  if (!b) return undefined;
  const relayName = b.kind === "relay" ? name : (relayOfBuiltIn(name) as string);
  const pair = devChainSpecs({ mode: b.mode, relaySlotMs: b.relaySlotMs, variant: relayName.replace("-", "_") });
  return b.kind === "relay" ? pair.relay : pair.para;
}

/**
 * The spec `--chain` names: a built-in name or a path to a JSON spec (plain or raw). A missing file, text that
 * is not JSON and a spec with a bad field are `BAD_CHAIN_SPEC` errors naming the file and the field. `kind`
 * checks that a relay spec was given where a relay spec is needed (and a para spec for a collator).
 */
export function loadChainSpec(chain: string, kind?: "relay" | "para"): ChainSpec {
  const builtIn = builtInSpec(chain);
  let spec: ChainSpec;
  if (builtIn) spec = builtIn;
  else {
    let text: string;
    try {
      text = readFileSync(chain, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CliError(
        { code: "BAD_CHAIN_SPEC", chain },
        code === "ENOENT"
          ? `chain spec "${chain}" is neither a built-in chain (${Object.keys(BUILT_IN_CHAINS).join(", ")}) nor a file`
          : `cannot read chain spec ${chain}: ${(e as Error).message}`,
      );
    }
    try {
      // The text, not JSON.parse's result: balances above 2^53 (bare integers, as Zombienet writes them) stay
      // exact, and a byte-order mark is skipped.
      spec = parseChainSpec(text);
    } catch (e) {
      if (e instanceof ChainSpecError)
        throw new CliError(
          { code: "BAD_CHAIN_SPEC", chain },
          e.path === ""
            ? `chain spec ${chain} is invalid: ${e.reason.replace(/\s*\n\s*/g, " ")}`
            : `chain spec ${chain}: bad field ${e.path}: ${e.reason}`,
        );
      throw e;
    }
  }
  const isPara = spec.kind === "para";
  if (kind === "relay" && isPara)
    throw new CliError(
      { code: "BAD_CHAIN_SPEC", chain },
      `chain spec ${chain} is a parachain spec (para ${spec.paraId}); a relay chain spec is needed here`,
    );
  if (kind === "para" && !isPara)
    throw new CliError(
      { code: "BAD_CHAIN_SPEC", chain },
      `chain spec ${chain} is a relay chain spec; a collator takes a parachain spec (e.g. para-local) and the relay spec after \`--\``,
    );
  return spec;
}
