import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { bool, type CommandSpec, parseArgs, printHelp, str } from "../args.js";
import { loadChainSpec } from "../chainSpecs.js";
import { chainDir, defaultBasePath } from "../paths.js";

/** `parapipe purge-chain`. */
export const PURGE_CHAIN_COMMAND: CommandSpec = {
  name: "purge-chain",
  summary: "Remove a chain's database (keeps the network key and the keystore)",
  description:
    "A collator's embedded relay chain database lives under <base>/polkadot: purge it with\n`--base-path <base>/polkadot --chain <relay chain>`.",
  flags: [
    {
      name: "chain",
      type: "string",
      value: "CHAIN_SPEC",
      help: "The chain whose database to remove",
      default: "local",
    },
    {
      name: "base-path",
      short: "d",
      type: "string",
      value: "PATH",
      help: "The node's base path",
      default: "the user's data dir/parapipe",
    },
    { name: "yes", short: "y", type: "boolean", help: "Do not ask for confirmation" },
  ],
};

/** Removes `<base>/chains/<id>/db` after confirmation (or `-y`). */
export async function purgeChainCommand(argv: string[]): Promise<number> {
  const args = parseArgs(PURGE_CHAIN_COMMAND, argv);
  if (args.help) return printHelp(PURGE_CHAIN_COMMAND);
  const spec = loadChainSpec(str(args, "chain") ?? "local");
  const db = join(chainDir(str(args, "base-path") ?? defaultBasePath(), spec.id), "db");
  if (!existsSync(db)) {
    process.stderr.write(`${db} did not exist.\n`);
    return 0;
  }
  if (!bool(args, "yes")) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Are you sure to remove "${db}"? [y/N]: `).catch(() => "");
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stderr.write("Aborted\n");
      return 0;
    }
  }
  rmSync(db, { recursive: true, force: true });
  process.stderr.write(`"${db}" removed.\n`);
  return 0;
}
