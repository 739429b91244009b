import { readFileSync, writeFileSync } from "node:fs";
import { generateNodeKey, type NodeKey, nodeKeyFromHex, nodeKeyToHex, peerIdOf } from "@parapipe/network";
import { cryptoReady, generateMnemonic, parseAddress, toHex, toSs58 } from "@parapipe/primitives";
import { type CommandSpec, int, parseArgs, printHelp, str } from "../args.js";
import { loadChainSpec } from "../chainSpecs.js";
import { badArguments, CliError } from "../errors.js";
import { KEY_TYPES, Keystore, keypairOfSuri } from "../keystore.js";
import { nodeKeyFromFile } from "../nodeFlags.js";
import { chainDir, defaultBasePath, ensureWritableDir } from "../paths.js";

const outputFlags: CommandSpec["flags"] = [
  {
    name: "network",
    short: "n",
    type: "string",
    value: "SS58_PREFIX",
    help: "SS58 prefix of the printed address (5 = Astar)",
    default: "42",
  },
  {
    name: "output-type",
    type: "string",
    value: "FORMAT",
    choices: ["text", "json"],
    help: "Output format",
    default: "text",
  },
  { name: "scheme", type: "string", value: "SCHEME", choices: ["sr25519"], help: "Key scheme", default: "sr25519" },
];

/** `parapipe key <subcommand>`. */
export const KEY_COMMANDS: Record<string, CommandSpec> = {
  generate: {
    name: "key generate",
    summary: "Generate a random account key (sr25519) and print its mnemonic and addresses",
    flags: [
      { name: "words", short: "w", type: "string", value: "WORDS", help: "Mnemonic length", default: "12" },
      ...outputFlags,
    ],
  },
  inspect: {
    name: "key inspect",
    summary:
      "Print the public key and addresses of a secret URI (//Alice, a mnemonic, a 0x seed) or of a public key with --public",
    flags: [{ name: "public", type: "boolean", help: "URI is a public key (hex or SS58)" }, ...outputFlags],
    positionals: [{ name: "URI", help: "A secret URI, or with --public a public key", required: true }],
  },
  insert: {
    name: "key insert",
    summary: "Put a session key into the node's keystore (<base>/chains/<chain id>/keystore)",
    flags: [
      { name: "suri", type: "string", value: "SURI", help: "The secret URI (e.g. //Alice or a mnemonic)" },
      { name: "key-type", type: "string", value: "KEY_TYPE", help: `Four-letter key type (${KEY_TYPES.join(", ")})` },
      { name: "chain", type: "string", value: "CHAIN_SPEC", help: "Chain whose keystore to use", default: "local" },
      {
        name: "base-path",
        short: "d",
        type: "string",
        value: "PATH",
        help: "The node's base path",
        default: "the user's data dir/parapipe",
      },
      { name: "scheme", type: "string", value: "SCHEME", choices: ["sr25519"], help: "Key scheme", default: "sr25519" },
    ],
  },
  "generate-node-key": {
    name: "key generate-node-key",
    summary: "Generate a libp2p node key: the secret (64 hex) to stdout or --file, the PeerId to stderr",
    flags: [
      {
        name: "file",
        type: "string",
        value: "FILE",
        help: "Write the secret to FILE (32 raw bytes, like Substrate's secret_ed25519)",
      },
      { name: "bin", type: "boolean", help: "Write raw bytes to stdout instead of hex" },
    ],
  },
  "inspect-node-key": {
    name: "key inspect-node-key",
    summary: "Print the PeerId of a libp2p node key",
    flags: [
      { name: "file", type: "string", value: "FILE", help: "A key file (32 raw bytes or 64 hex digits)" },
      { name: "node-key", type: "string", value: "KEY", help: "The key as 64 hex digits" },
    ],
  },
};

/** `parapipe key`: dispatches to its subcommands. */
export async function keyCommand(argv: string[]): Promise<number> {
  const sub = argv[0];
  const spec = sub === undefined ? undefined : KEY_COMMANDS[sub];
  if (!spec) {
    if (sub === undefined || sub === "--help" || sub === "-h") {
      process.stdout.write(
        `Key management\n\nUsage: parapipe key <COMMAND>\n\nCommands:\n${Object.entries(KEY_COMMANDS)
          .map(([n, c]) => `  ${n.padEnd(18)} ${c.summary}`)
          .join("\n")}\n`,
      );
      return sub === undefined ? 2 : 0;
    }
    throw badArguments("key", `unknown key subcommand "${sub}"`);
  }
  const args = parseArgs(spec, argv.slice(1));
  if (args.help) return printHelp(spec);
  await cryptoReady();
  const network = int(args, spec.name, "network", 42, 0, 16383);
  const json = str(args, "output-type") === "json";
  switch (sub) {
    case "generate": {
      const words = int(args, spec.name, "words", 12, 12, 24);
      if (![12, 15, 18, 21, 24].includes(words))
        throw badArguments(spec.name, `--words takes 12, 15, 18, 21 or 24, found ${words}`);
      const phrase = generateMnemonic(words as 12);
      printAccount(phrase, keypairOfSuri(phrase).publicKey, network, json, "Secret phrase");
      return 0;
    }
    case "inspect": {
      const uri = args.positionals[0] as string;
      if (args.flags.public === true) {
        let pk: Uint8Array;
        try {
          pk = /^0x[0-9a-fA-F]{64}$/.test(uri) ? Uint8Array.from(Buffer.from(uri.slice(2), "hex")) : parseAddress(uri);
        } catch (e) {
          throw badArguments(spec.name, `not a public key or SS58 address: ${(e as Error).message}`);
        }
        printAccount(undefined, pk, network, json, "Public key");
        return 0;
      }
      printAccount(uri, keypairOfSuri(uri).publicKey, network, json, "Secret Key URI");
      return 0;
    }
    case "insert": {
      const suri = str(args, "suri");
      const keyType = str(args, "key-type");
      if (suri === undefined) throw badArguments(spec.name, "--suri is required");
      if (keyType === undefined) throw badArguments(spec.name, "--key-type is required");
      const chain = loadChainSpec(str(args, "chain") ?? "local");
      const dir = ensureWritableDir(chainDir(str(args, "base-path") ?? defaultBasePath(), chain.id), "chain directory");
      const file = new Keystore(`${dir}/keystore`).insert(keyType, suri);
      process.stderr.write(`Inserted ${keyType} key ${toSs58(keypairOfSuri(suri).publicKey)} into ${file}\n`);
      return 0;
    }
    case "generate-node-key": {
      const key = generateNodeKey();
      const file = str(args, "file");
      if (file !== undefined)
        try {
          writeFileSync(file, key.secret, { mode: 0o600, flag: "wx" });
        } catch (e) {
          throw new CliError({ code: "KEY", reason: "node key file" }, `cannot write ${file}: ${(e as Error).message}`);
        }
      else if (args.flags.bin === true) process.stdout.write(key.secret);
      else process.stdout.write(`${nodeKeyToHex(key)}\n`);
      process.stderr.write(`${await peerIdOf(key)}\n`);
      return 0;
    }
    default: {
      const file = str(args, "file");
      const hex = str(args, "node-key");
      if (file === undefined && hex === undefined) throw badArguments(spec.name, "give --file or --node-key");
      let key: NodeKey;
      if (hex !== undefined) key = nodeKeyFromHex(hex);
      else {
        let bytes: Buffer;
        try {
          bytes = readFileSync(file as string);
        } catch (e) {
          throw new CliError({ code: "KEY", reason: "node key file" }, `cannot read ${file}: ${(e as Error).message}`);
        }
        key = nodeKeyFromFile(bytes);
      }
      process.stdout.write(`${await peerIdOf(key)}\n`);
      return 0;
    }
  }
}

/** Subkey's account output. */
function printAccount(
  secret: string | undefined,
  publicKey: Uint8Array,
  network: number,
  json: boolean,
  label: string,
): void {
  const ss58 = toSs58(publicKey, network);
  const pk = toHex(publicKey);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ ...(secret === undefined ? {} : { secretPhrase: secret }), networkId: network, publicKey: pk, accountId: pk, ss58PublicKey: ss58, ss58Address: ss58 }, null, 2)}\n`,
    );
    return;
  }
  const lines = [
    secret === undefined
      ? `Network ID/Version: ${network}`
      : `${label}:${" ".repeat(Math.max(1, 21 - label.length))}${secret}`,
    `  Network ID:        ${network}`,
    `  Public key (hex):  ${pk}`,
    `  Account ID:        ${pk}`,
    `  Public key (SS58): ${ss58}`,
    `  SS58 Address:      ${ss58}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
