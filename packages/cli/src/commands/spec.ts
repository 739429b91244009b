import { writeFileSync } from "node:fs";
import { chainSpecToJson, rawChainSpecJson, toHex } from "@parapipe/primitives";
import { paraGenesisFromSpec, relayGenesisFromSpec } from "@parapipe/runtime";
import { bool, type CommandSpec, parseArgs, printHelp, str } from "../args.js";
import { BUILT_IN_CHAINS, loadChainSpec } from "../chainSpecs.js";
import { CliError } from "../errors.js";

const chainList = Object.entries(BUILT_IN_CHAINS)
  .map(([n, b]) => `  ${n.padEnd(16)} ${b.summary}`)
  .join("\n");

/** `parapipe build-spec`. */
export const BUILD_SPEC_COMMAND: CommandSpec = {
  name: "build-spec",
  summary: "Print a chain spec as JSON: plain (editable genesis) or --raw (genesis storage)",
  description: `Built-in chains:\n${chainList}\nEdit a plain spec, then turn it raw with \`build-spec --chain plain.json --raw\` (Zombienet's flow).`,
  flags: [
    { name: "chain", type: "string", value: "CHAIN_SPEC", help: "A built-in chain or a spec file", default: "local" },
    { name: "raw", type: "boolean", help: "Print the genesis as raw storage (what nodes and Zombienet start from)" },
    { name: "disable-default-bootnode", type: "boolean", help: "Accepted (parapipe specs carry no default bootnode)" },
    { name: "output", short: "o", type: "string", value: "FILE", help: "Write to FILE instead of stdout" },
  ],
};

/** `parapipe build-spec`: the spec JSON on stdout (or `--output`). */
export function buildSpecCommand(argv: string[]): number {
  const args = parseArgs(BUILD_SPEC_COMMAND, argv);
  if (args.help) return printHelp(BUILD_SPEC_COMMAND);
  const spec = loadChainSpec(str(args, "chain") ?? "local");
  let json: unknown;
  if (!bool(args, "raw")) json = chainSpecToJson(spec);
  else {
    const g = spec.kind === "para" ? paraGenesisFromSpec(spec) : relayGenesisFromSpec(spec);
    json = rawChainSpecJson(spec, g.storage);
  }
  return emit(`${JSON.stringify(json, null, 2)}\n`, str(args, "output"));
}

function emit(text: string, file: string | undefined): number {
  if (file === undefined) process.stdout.write(text);
  else
    try {
      writeFileSync(file, text);
    } catch (e) {
      throw new CliError({ code: "BASE_PATH", path: file }, `cannot write ${file}: ${(e as Error).message}`);
    }
  return 0;
}

const exportFlags: CommandSpec["flags"] = [
  {
    name: "chain",
    type: "string",
    value: "CHAIN_SPEC",
    help: "The para spec (built-in or file)",
    default: "para-local",
  },
  { name: "base-path", short: "d", type: "string", value: "PATH", help: "Accepted (the head comes from the spec)" },
  { name: "raw", type: "boolean", help: "Write raw bytes instead of 0x hex" },
];

/** `parapipe export-genesis-head` (Cumulus' `export-genesis-head`, formerly `export-genesis-state`). */
export const EXPORT_GENESIS_HEAD_COMMAND: CommandSpec = {
  name: "export-genesis-head",
  summary: "Print the para genesis head (SCALE header, 0x hex) to register the para on a relay chain",
  flags: exportFlags,
  positionals: [{ name: "OUTPUT", help: "Write to this file instead of stdout" }],
};

/** `parapipe export-genesis-wasm`: the para validation code the relay chain registers. */
export const EXPORT_GENESIS_WASM_COMMAND: CommandSpec = {
  name: "export-genesis-wasm",
  summary: "Print the para validation code (0x hex) to register the para on a relay chain",
  flags: exportFlags,
  positionals: [{ name: "OUTPUT", help: "Write to this file instead of stdout" }],
};

/** Both export commands. */
export function exportGenesisCommand(what: "head" | "wasm", argv: string[]): number {
  const spec = what === "head" ? EXPORT_GENESIS_HEAD_COMMAND : EXPORT_GENESIS_WASM_COMMAND;
  const args = parseArgs(spec, argv);
  if (args.help) return printHelp(spec);
  const g = paraGenesisFromSpec(loadChainSpec(str(args, "chain") ?? "para-local", "para"));
  const bytes = what === "head" ? g.header : g.runtime.code;
  const out = args.positionals[0];
  if (bool(args, "raw")) {
    if (out === undefined) process.stdout.write(bytes);
    else writeBytes(out, bytes);
    return 0;
  }
  return emit(out === undefined ? `${toHex(bytes)}\n` : toHex(bytes), out);
}

function writeBytes(file: string, bytes: Uint8Array): void {
  try {
    writeFileSync(file, bytes);
  } catch (e) {
    throw new CliError({ code: "BASE_PATH", path: file }, `cannot write ${file}: ${(e as Error).message}`);
  }
}
