import { HarnessError } from "./errors.js";

/**
 * What one poll of a condition found: `true`/`false`, or whether it holds with what was observed (shown in the
 * timeout message), optionally with a value `waitUntil` resolves to.
 */
export type Observation<T = unknown> = boolean | { done: boolean; observed: string; value?: T };

/** Options of `waitUntil`. */
export interface WaitOptions {
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Time between polls (ms). Default 100. */
  intervalMs?: number;
}

/**
 * Polls `check` until it reports done, and resolves to the value it reported (if any). A poll that throws
 * (a node restarting, an RPC refused) counts as not done, its error being what was observed. On timeout it
 * rejects with `HarnessError` `WAIT_TIMEOUT`: "`what` not reached in `timeoutMs` ms; last observed: ...".
 */
export async function waitUntil<T = undefined>(
  what: string,
  check: () => Observation<T> | Promise<Observation<T>>,
  opts: WaitOptions,
): Promise<T> {
  const interval = opts.intervalMs ?? 100;
  const deadline = Date.now() + opts.timeoutMs;
  let observed = "nothing yet (no poll completed)";
  for (;;) {
    try {
      const o = await check();
      if (typeof o === "boolean") {
        if (o) return undefined as T;
        observed = "the condition was false";
      } else {
        if (o.done) return o.value as T;
        observed = o.observed;
      }
    } catch (e) {
      observed = `error: ${e instanceof Error ? e.message : String(e)}`;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(interval, left)));
  }
  throw new HarnessError(
    { code: "WAIT_TIMEOUT", what, timeoutMs: opts.timeoutMs, lastObserved: observed },
    `${what} not reached in ${opts.timeoutMs} ms; last observed: ${observed}`,
  );
}
