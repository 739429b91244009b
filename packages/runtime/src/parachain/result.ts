import { ParapipeError } from "@parapipe/primitives";
import { BlockExecutionError } from "../frame/errors.js";

/** A runtime outcome: a value, or the typed error that explains why not. Runtime entry points never throw. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ParapipeError<{ code: string }> };

/** Runs `fn`, turning any thrown error into `{ok: false}` (unknown errors become RUNTIME_PANIC). */
export function runtimeCall<T>(fn: () => T): Result<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof ParapipeError) return { ok: false, error: e };
    const detail = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      error: new BlockExecutionError({ code: "RUNTIME_PANIC", detail }, `runtime panicked: ${detail}`),
    };
  }
}
