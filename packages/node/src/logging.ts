import { Writable } from "node:stream";
import { toHex } from "@parapipe/primitives";
import { type DestinationStream, type Logger as PinoLogger, pino } from "pino";
import pinoPretty from "pino-pretty";
import { NodeLoggerError } from "./errors.js";
import type { Logger } from "./interface.js";

/** Log levels, least to most severe (pino's, without `fatal`). */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "silent"] as const;
/** One log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A parsed `--log` / `-l` value: a default level and per-target (module) levels, as Substrate's `-l target=level`. */
export interface LogFilter {
  level: LogLevel;
  targets: Record<string, LogLevel>;
}

const isLevel = (v: string): v is LogLevel => (LOG_LEVELS as readonly string[]).includes(v);

/**
 * Parses Substrate-style log directives: `info`, `debug`, `sync=debug`, `info,backing=trace` (comma separated,
 * several flags merged). A directive without `=` sets the default level. Throws `NodeLoggerError` naming the bad
 * directive.
 */
export function parseLogFilter(directives: string[], defaultLevel: LogLevel = "info"): LogFilter {
  const filter: LogFilter = { level: defaultLevel, targets: {} };
  for (const d of directives.flatMap((s) => s.split(",")).map((s) => s.trim())) {
    if (d === "") continue;
    const [target, level, extra] = d.split("=");
    const lv = (level ?? target ?? "").toLowerCase();
    if (extra !== undefined || !isLevel(lv) || (level !== undefined && (target ?? "") === ""))
      throw new NodeLoggerError(
        { code: "INVALID_LOG_DIRECTIVE", directive: d },
        `invalid log directive "${d}": expected a level (${LOG_LEVELS.join(", ")}) or target=level`,
      );
    if (level === undefined) filter.level = lv;
    else filter.targets[target as string] = lv;
  }
  return filter;
}

/** Options of `createNodeLogger`. */
export interface NodeLoggerOptions {
  filter: LogFilter;
  /** Human-readable lines (pino-pretty) instead of JSON lines; default: when `destination` is a TTY. */
  pretty?: boolean;
  /** Where lines go (default stdout). */
  destination?: NodeJS.WritableStream;
  /** Fields on every line (e.g. `{node: "alice"}`). */
  bindings?: Record<string, unknown>;
  /** Text before every message (Cumulus prints `[Parachain]` / `[Relaychain]`). */
  msgPrefix?: string;
}

/** Values the node logs that JSON cannot carry as they are. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === "bigint") return v.toString();
  return v;
}

function wrap(p: PinoLogger, filter: LogFilter): Logger {
  const at =
    (level: "debug" | "info" | "warn" | "error") =>
    (obj: Record<string, unknown>, msg: string): void => {
      if (!p.isLevelEnabled(level)) return;
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) fields[k] = plain(v);
      p[level](fields, msg);
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child(bindings) {
      // A module's own level (`-l backing=debug`) applies to its child logger and below.
      const module = typeof bindings.module === "string" ? bindings.module : undefined;
      const level = module === undefined ? undefined : filter.targets[module];
      return wrap(p.child(bindings, level === undefined ? {} : { level }), filter);
    },
  };
}

/**
 * The node's logger: pino, JSON lines (or pino-pretty lines on a terminal), with Substrate-style per-module
 * levels. The root level is the lowest of the default and the target levels, so a target can be more verbose
 * than the rest; other modules are held to the default level by their child logger.
 */
export function createNodeLogger(opts: NodeLoggerOptions): Logger {
  const dest = opts.destination ?? process.stdout;
  const pretty = opts.pretty ?? (dest as { isTTY?: boolean }).isTTY === true;
  const levels = [opts.filter.level, ...Object.values(opts.filter.targets)];
  const lowest = LOG_LEVELS[Math.min(...levels.map((l) => LOG_LEVELS.indexOf(l)))] as LogLevel;
  const stream: DestinationStream = pretty
    ? pinoPretty({
        destination: dest,
        sync: true,
        colorize: (dest as { isTTY?: boolean }).isTTY === true,
        translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l",
        singleLine: true,
        ignore: "pid,hostname,module,node",
        messageFormat: "{if node}{node} {end}{if module}{module} {end}{msg}",
      })
    : (dest as unknown as DestinationStream);
  const root = pino(
    {
      level: lowest,
      base: opts.bindings ?? {},
      ...(opts.msgPrefix === undefined ? {} : { msgPrefix: opts.msgPrefix }),
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  const top = lowest === opts.filter.level ? root : root.child({}, { level: opts.filter.level });
  return wrap(top, opts.filter);
}

/** A writable that collects lines in memory (tests read what a node logged). */
export function memoryLogDestination(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  let rest = "";
  const stream = new Writable({
    write(chunk, _enc, cb) {
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
      cb();
    },
  });
  return { stream, lines };
}
