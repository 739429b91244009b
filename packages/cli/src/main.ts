import { NetworkError } from "@parapipe/network";
import { ParapipeError } from "@parapipe/primitives";
import { BENCH_COMMAND, benchCommand } from "./commands/bench.js";
import { COLLATOR_COMMAND, collatorCommand } from "./commands/collator.js";
import { DEVNET_COMMAND, devnetCommand } from "./commands/devnet.js";
import { KEY_COMMANDS, keyCommand } from "./commands/key.js";
import { PURGE_CHAIN_COMMAND, purgeChainCommand } from "./commands/purgeChain.js";
import {
  BUILD_SPEC_COMMAND,
  buildSpecCommand,
  EXPORT_GENESIS_HEAD_COMMAND,
  EXPORT_GENESIS_WASM_COMMAND,
  exportGenesisCommand,
} from "./commands/spec.js";
import { VALIDATOR_COMMAND, validatorCommand } from "./commands/validator.js";
import { badArguments, CliError } from "./errors.js";
import { VERSION } from "./version.js";

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<number> | number }> = {
  validator: { summary: VALIDATOR_COMMAND.summary, run: validatorCommand },
  collator: { summary: COLLATOR_COMMAND.summary, run: collatorCommand },
  devnet: { summary: DEVNET_COMMAND.summary, run: devnetCommand },
  "build-spec": { summary: BUILD_SPEC_COMMAND.summary, run: buildSpecCommand },
  "export-genesis-head": { summary: EXPORT_GENESIS_HEAD_COMMAND.summary, run: (a) => exportGenesisCommand("head", a) },
  "export-genesis-wasm": { summary: EXPORT_GENESIS_WASM_COMMAND.summary, run: (a) => exportGenesisCommand("wasm", a) },
  key: { summary: `Key management: ${Object.keys(KEY_COMMANDS).join(", ")}`, run: keyCommand },
  "purge-chain": { summary: PURGE_CHAIN_COMMAND.summary, run: purgeChainCommand },
  bench: { summary: BENCH_COMMAND.summary, run: benchCommand },
};

/** `parapipe --help`. */
export function topHelp(): string {
  return [
    `parapipe ${VERSION}: a relay chain and parachain node with asynchronous backing`,
    "",
    "Usage: parapipe <COMMAND> [OPTIONS]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(20)} ${c.summary}`),
    "",
    "Options:",
    "  -h, --help     Print help (`parapipe <COMMAND> --help` for a command's flags)",
    "  -V, --version  Print version",
    "",
  ].join("\n");
}

/** Why a node error happened, in one line a user can act on. */
function describe(e: unknown): string {
  if (e instanceof NetworkError && e.code === "START_FAILED" && /EADDRINUSE/.test(e.message)) {
    const port = /:(\d+)\b/.exec(e.message.split("EADDRINUSE")[1] ?? "")?.[1] ?? /tcp\/(\d+)/.exec(e.message)?.[1];
    return `p2p port ${port ?? "?"} is already in use (${e.message.split(":")[0]})`;
  }
  if (e instanceof Error) return e.message.replace(/\s*\n\s*/g, " ");
  return String(e);
}

/**
 * Runs `parapipe <argv>` and returns the exit code. Errors are one line on stderr (`Error: ...`); the stack
 * only with `--log debug` (or `trace`), or for errors that are not parapipe's own.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      process.stdout.write(topHelp());
      return command === undefined ? 2 : 0;
    }
    if (command === "--version" || command === "-V") {
      process.stdout.write(`parapipe ${VERSION}\n`);
      return 0;
    }
    const c = COMMANDS[command];
    if (!c)
      throw badArguments(
        command.startsWith("-") ? "--help" : command,
        `unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(", ")}`,
      );
    return await c.run(rest);
  } catch (e) {
    const debug = argv.some(
      (a, i) =>
        /^(--log=|-l)?(debug|trace)$/.test(a) &&
        (a.startsWith("--log=") || a.startsWith("-l") || argv[i - 1] === "--log" || argv[i - 1] === "-l"),
    );
    // Not one of parapipe's own errors: say where the stack is.
    const hint = !debug && !(e instanceof ParapipeError) ? " (run with --log debug for the stack trace)" : "";
    process.stderr.write(`Error: ${describe(e)}${hint}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}
