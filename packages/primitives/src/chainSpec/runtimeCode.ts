import type { ChainKind } from "./types.js";

/**
 * parapipe has no WASM: a plain spec's `code` is the UTF-8 name of the runtime it runs, so a relay node refuses
 * a parachain spec (and the other way round) before it builds any state. In state (`:code`, and so in a raw
 * spec) the name is followed by a 0x00 byte and the runtime's SCALE-encoded parameters.
 */

/** Runtime identifier of the relay chain; its UTF-8 bytes are the `code` of a relay spec. */
export const RELAY_RUNTIME_ID = "parapipe-relay-runtime";

/** Runtime identifier of the Astar-like parachain; its UTF-8 bytes are the `code` of a para spec. */
export const PARA_RUNTIME_ID = "parapipe-para-runtime";

/** Runtime identifier a spec of `kind` must name. */
export function runtimeIdOf(kind: ChainKind): string {
  return kind === "relay" ? RELAY_RUNTIME_ID : PARA_RUNTIME_ID;
}

/** The `code` bytes of the runtime of `kind` (a fresh array). */
export function runtimeCode(kind: ChainKind): Uint8Array {
  return new TextEncoder().encode(runtimeIdOf(kind));
}

/** The kind whose runtime `code` names (the bare name, or name ++ 0x00 ++ parameters), or `undefined`. */
export function runtimeKindOfCode(code: Uint8Array): ChainKind | undefined {
  const end = code.indexOf(0);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(end >= 0 ? code.subarray(0, end) : code);
  if (text === RELAY_RUNTIME_ID) return "relay";
  if (text === PARA_RUNTIME_ID) return "para";
  return undefined;
}
