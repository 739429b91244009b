import { badArguments } from "./errors.js";

/** One flag a command takes. */
export interface FlagSpec {
  /** Long name without dashes (`base-path`). */
  name: string;
  /** One-letter alias (`d` for `-d`). */
  short?: string;
  /** `boolean` flags take no value; `string` flags take one. */
  type: "boolean" | "string";
  /** The flag may repeat; its values are collected (Substrate's `--bootnodes a b` form is accepted too). */
  multiple?: boolean;
  /** The value's name in `--help` (`<PATH>`). */
  value?: string;
  /** `--help` text. */
  help: string;
  /** The default, shown in `--help`. */
  default?: string;
  /** Accepted for compatibility with Substrate command lines (Zombienet, parachain-launch) and ignored. */
  ignored?: boolean;
  /** Allowed values (checked). */
  choices?: readonly string[];
}

/** One positional argument. */
export interface PositionalSpec {
  name: string;
  help: string;
  required?: boolean;
}

/** A command: its flags, positionals and help text. */
export interface CommandSpec {
  /** As typed after `parapipe` (`key insert`). */
  name: string;
  summary: string;
  /** Extra help paragraphs. */
  description?: string;
  flags: FlagSpec[];
  positionals?: PositionalSpec[];
  /** Text after `--` is returned as `rest` (the collator's relay-chain flags). */
  takesRest?: string;
}

/** What a command line parsed to. */
export interface ParsedArgs {
  /** Flag values by long name: `true` for booleans, a string, or a string list for `multiple` flags. */
  flags: Record<string, string | boolean | string[]>;
  positionals: string[];
  /** The arguments after `--`, unparsed. */
  rest: string[];
  /** `--help` / `-h` was given. */
  help: boolean;
}

/**
 * Parses `argv` against `spec`: `--flag value`, `--flag=value`, `-d value`, repeated `multiple` flags (and the
 * several-values-after-one-flag form clap accepts for `--bootnodes`), booleans without values, `--` to end
 * flags. Unknown flags, missing values, values given to booleans, bad choices and missing or extra
 * positionals are usage errors naming the flag.
 */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const byName = new Map(spec.flags.map((f) => [f.name, f]));
  const byShort = new Map(spec.flags.filter((f) => f.short).map((f) => [f.short as string, f]));
  const out: ParsedArgs = { flags: {}, positionals: [], rest: [], help: false };
  const fail = (msg: string) => badArguments(spec.name, msg);
  const set = (f: FlagSpec, value: string | true) => {
    if (f.type === "string" && value === true) throw fail(`flag --${f.name} needs a value`);
    if (f.choices && typeof value === "string" && !f.choices.includes(value))
      throw fail(`flag --${f.name} takes one of ${f.choices.join(", ")}, found "${value}"`);
    if (f.multiple) {
      const list = (out.flags[f.name] as string[] | undefined) ?? [];
      list.push(value as string);
      out.flags[f.name] = list;
    } else if (out.flags[f.name] !== undefined && out.flags[f.name] !== value) {
      throw fail(`flag --${f.name} given twice`);
    } else out.flags[f.name] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      if (!spec.takesRest) throw fail(`unexpected \`--\`: this command takes no trailing arguments`);
      out.rest = argv.slice(i + 1);
      break;
    }
    if (a === "--help" || a === "-h") {
      out.help = true;
      continue;
    }
    let flag: FlagSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      flag = byName.get(name);
      if (!flag) throw fail(`unknown flag --${name} for \`parapipe ${spec.name}\``);
    } else if (a.startsWith("-") && a.length > 1 && !/^-\d/.test(a)) {
      flag = byShort.get(a.slice(1, 2));
      if (!flag) throw fail(`unknown flag ${a.slice(0, 2)} for \`parapipe ${spec.name}\``);
      if (a.length > 2) inline = a.slice(2);
    } else {
      out.positionals.push(a);
      continue;
    }
    if (flag.type === "boolean") {
      if (inline !== undefined && inline !== "true" && inline !== "false")
        throw fail(`flag --${flag.name} takes no value, found "${inline}"`);
      if (inline !== "false") set(flag, true);
      continue;
    }
    if (inline !== undefined) {
      if (inline === "") throw fail(`flag --${flag.name} needs a value`);
      set(flag, inline);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith("-") && next.length > 1 && !/^-\d/.test(next)))
      throw fail(`flag --${flag.name} needs a value`);
    set(flag, next);
    i++;
    // clap's `num_args = 1..`: `--bootnodes a b` (what Zombienet writes) gives both values.
    if (flag.multiple && flag.name === "bootnodes")
      while (argv[i + 1] !== undefined && (argv[i + 1] as string).startsWith("/")) set(flag, argv[++i] as string);
  }
  if (out.help) return out;
  const positionals = spec.positionals ?? [];
  if (out.positionals.length > positionals.length)
    throw fail(`unexpected argument "${out.positionals[positionals.length]}"`);
  const missing = positionals.slice(out.positionals.length).find((p) => p.required);
  if (missing) throw fail(`missing argument <${missing.name}>`);
  return out;
}

/** A string flag's value, if given. */
export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.flags[name];
  return typeof v === "string" ? v : undefined;
}

/** A boolean flag. */
export function bool(a: ParsedArgs, name: string): boolean {
  return a.flags[name] === true;
}

/** A multiple flag's values (several may be comma- or space-separated in one value). */
export function list(a: ParsedArgs, name: string): string[] {
  const v = a.flags[name];
  const values = Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
  return values.flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== "");
}

/** An integer flag within [min, max], or `fallback`; a usage error naming the flag otherwise. */
export function int(a: ParsedArgs, command: string, name: string, fallback: number, min: number, max: number): number {
  const v = str(a, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw badArguments(command, `flag --${name} takes an integer, found "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw badArguments(command, `flag --${name} must be between ${min} and ${max}, found ${n}`);
  return n;
}

/** Substrate-style `--help` text for a command. */
export function helpText(spec: CommandSpec): string {
  const lines = [`${spec.summary}`, ""];
  const pos = (spec.positionals ?? []).map((p) => (p.required ? ` <${p.name}>` : ` [${p.name}]`)).join("");
  lines.push(`Usage: parapipe ${spec.name} [OPTIONS]${pos}${spec.takesRest ? " [-- <RELAY_CHAIN_ARGS>...]" : ""}`, "");
  if (spec.description) lines.push(spec.description, "");
  if (spec.positionals?.length) {
    lines.push("Arguments:");
    for (const p of spec.positionals) lines.push(p.required ? `  <${p.name}>` : `  [${p.name}]`, `          ${p.help}`);
    lines.push("");
  }
  if (spec.takesRest) lines.push("Relay chain arguments (after `--`):", `          ${spec.takesRest}`, "");
  lines.push("Options:");
  const shown = spec.flags.filter((f) => !f.ignored);
  for (const f of shown) {
    const head = `${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.type === "string" ? ` <${f.value ?? "VALUE"}>` : ""}`;
    lines.push(`  ${head}`);
    let help = f.help;
    if (f.choices) help += ` [possible values: ${f.choices.join(", ")}]`;
    if (f.default !== undefined) help += ` [default: ${f.default}]`;
    lines.push(`          ${help}`);
  }
  lines.push("  -h, --help", "          Print help");
  const ignored = spec.flags.filter((f) => f.ignored);
  if (ignored.length) {
    lines.push("", "Accepted for compatibility with Substrate command lines, and ignored:");
    lines.push(
      `  ${ignored.map((f) => `--${f.name}${f.type === "string" ? ` <${f.value ?? "VALUE"}>` : ""}`).join(", ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Prints a command's help on stdout; returns exit code 0. */
export function printHelp(spec: CommandSpec): number {
  process.stdout.write(helpText(spec));
  return 0;
}
