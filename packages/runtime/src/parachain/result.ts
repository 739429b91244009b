import { MissingNodeError, ParapipeError } from "@parapipe/primitives";
import { BlockExecutionError } from "../frame/errors.js";

/** A runtime outcome: a value, or the typed error that explains why not. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ParapipeError<{ code: string }> };

/**
 * Runs `fn`, turning any thrown error into `{ok: false}` (unknown errors become RUNTIME_PANIC), so bad input
 * never throws out of the runtime. One condition passes through: `MissingNodeError` from a full node's state
 * store, which is not an outcome but a request for a trie node the cache lacks (the node's
 * `StateStore.withState` loads it and runs the call again). The PVF, whose store is a witness, turns it into
 * `WITNESS_INCOMPLETE` itself.
 */
export function runtimeCall<T>(fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof MissingNodeError) throw e;
    if (e instanceof ParapipeError) return { ok: false, error: e };
    const detail = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      error: new BlockExecutionError({ code: "RUNTIME_PANIC", detail }, `runtime panicked: ${detail}`),
    };
  }
}
