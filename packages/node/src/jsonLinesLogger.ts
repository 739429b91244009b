import { toHex } from "@parapipe/primitives";
import type { Logger } from "./interface.js";

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

/**
 * A pino-compatible logger writing one JSON object per line to `write` (stderr by default) at and above
 * `level`, silent when `level` is undefined. Bytes are written as hex, bigints as strings, errors as
 * `{name, message}`. Used by the per-process node entry points that tests spawn.
 */
export function jsonLinesLogger(
  level: string | undefined,
  bindings: Record<string, unknown> = {},
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const min = level === undefined ? LEVELS.length : LEVELS.indexOf(level as Level);
  const at =
    (l: Level) =>
    (obj: Record<string, unknown>, msg: string): void => {
      if (min < 0 || LEVELS.indexOf(l) < min) return;
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj))
        fields[k] = v instanceof Error ? { name: v.name, message: v.message } : v instanceof Uint8Array ? toHex(v) : v;
      write(
        `${JSON.stringify({ time: Date.now(), level: l, ...bindings, ...fields, msg }, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}\n`,
      );
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (b) => jsonLinesLogger(level, { ...bindings, ...b }, write),
  };
}
