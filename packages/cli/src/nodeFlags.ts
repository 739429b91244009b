import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { type NodeKey, nodeKeyFromHex } from "@parapipe/network";
import { type LogFilter, parseLogFilter } from "@parapipe/node";
import type { ChainSpec, Sr25519Keypair } from "@parapipe/primitives";
import { bool, type FlagSpec, int, list, type ParsedArgs, str } from "./args.js";
import { loadChainSpec } from "./chainSpecs.js";
import { badArguments, CliError } from "./errors.js";
import { DEV_KEY_FLAGS, KEY_TYPES, Keystore, keypairOfSuri } from "./keystore.js";
import { chainDir, defaultBasePath, ensureWritableDir, tmpBasePath } from "./paths.js";

/** Substrate's default ports. */
export const DEFAULT_PORTS = { p2p: 30333, rpc: 9944, prometheus: 9615 } as const;

const ignored = (name: string, type: "boolean" | "string" = "boolean"): FlagSpec => ({
  name,
  type,
  ignored: true,
  help: "",
});

/** Flags Substrate nodes take that parapipe accepts and ignores (Zombienet and compose files pass them). */
export const COMPAT_FLAGS: FlagSpec[] = [
  ignored("execution", "string"),
  ignored("wasm-execution", "string"),
  ignored("no-mdns"),
  ignored("no-telemetry"),
  ignored("telemetry-url", "string"),
  ignored("insecure-validator-i-know-what-i-do"),
  ignored("unsafe-force-node-key-generation"),
  ignored("no-hardware-benchmarks"),
  ignored("force-authoring"),
  ignored("discover-local"),
  ignored("allow-private-ip"),
  ignored("no-private-ip"),
  ignored("no-beefy"),
  ignored("state-pruning", "string"),
  ignored("blocks-pruning", "string"),
  ignored("database", "string"),
  ignored("db-cache", "string"),
  ignored("trie-cache-size", "string"),
  ignored("in-peers", "string"),
  ignored("out-peers", "string"),
  ignored("disable-log-color"),
];

/** The flags of a node process: chain, storage, network, RPC, Prometheus, logs, keys. */
export const NODE_FLAGS: FlagSpec[] = [
  {
    name: "chain",
    type: "string",
    value: "CHAIN_SPEC",
    help: "A built-in chain (see `build-spec --help`) or a chain spec file (plain or raw)",
  },
  {
    name: "base-path",
    short: "d",
    type: "string",
    value: "PATH",
    help: "Where the node keeps its data: <PATH>/chains/<chain id>/{db,network,keystore}",
    default: "the user's data dir/parapipe",
  },
  { name: "tmp", type: "boolean", help: "Run on a temporary base path, removed when the node stops" },
  { name: "name", type: "string", value: "NAME", help: "The node's name (logs, system_name)" },
  { name: "port", type: "string", value: "PORT", help: "The p2p TCP port (listens on 0.0.0.0)", default: "30333" },
  {
    name: "listen-addr",
    type: "string",
    multiple: true,
    value: "LISTEN_ADDR",
    help: "Listen on this multiaddr instead of --port (repeatable; /ws for WebSocket)",
  },
  {
    name: "bootnodes",
    type: "string",
    multiple: true,
    value: "ADDR",
    help: "Peers to connect to at start, /ip4|dns/.../tcp/<port>/p2p/<PeerId> (repeatable)",
  },
  {
    name: "node-key",
    type: "string",
    value: "KEY",
    help: "The libp2p Ed25519 secret as 64 hex digits (Zombienet: sha256 of the node name)",
  },
  {
    name: "node-key-file",
    type: "string",
    value: "FILE",
    help: "A file with the libp2p secret (32 raw bytes or 64 hex digits)",
  },
  { name: "rpc-port", type: "string", value: "PORT", help: "The JSON-RPC port, HTTP and WebSocket", default: "9944" },
  {
    name: "rpc-external",
    type: "boolean",
    help: "Listen for RPC on all interfaces (unsafe methods are then refused unless --rpc-methods unsafe)",
  },
  { name: "unsafe-rpc-external", type: "boolean", help: "Listen for RPC on all interfaces and allow unsafe methods" },
  {
    name: "rpc-methods",
    type: "string",
    value: "METHOD_SET",
    choices: ["auto", "safe", "unsafe"],
    help: "Which RPC methods to serve (auto: unsafe ones only on loopback)",
    default: "auto",
  },
  {
    name: "rpc-cors",
    type: "string",
    value: "ORIGINS",
    help: "Browser origins allowed to call RPC, comma separated, or `all`",
    default: "localhost and polkadot.js.org",
  },
  { name: "rpc-max-connections", type: "string", value: "COUNT", help: "Maximum RPC connections", default: "100" },
  { name: "rpc-max-request-size", type: "string", value: "MiB", help: "Maximum RPC request size", default: "15" },
  { name: "rpc-max-response-size", type: "string", value: "MiB", help: "Maximum RPC response size", default: "15" },
  {
    name: "rpc-max-subscriptions-per-connection",
    type: "string",
    value: "COUNT",
    help: "Maximum subscriptions per RPC connection",
    default: "1024",
  },
  {
    name: "prometheus-port",
    type: "string",
    value: "PORT",
    help: "The Prometheus exporter port (/metrics)",
    default: "9615",
  },
  { name: "prometheus-external", type: "boolean", help: "Expose Prometheus metrics on all interfaces" },
  { name: "no-prometheus", type: "boolean", help: "Do not expose Prometheus metrics" },
  {
    name: "log",
    short: "l",
    type: "string",
    multiple: true,
    value: "LOG_PATTERN",
    help: "Log level or target=level directives, e.g. `debug` or `info,backing=debug`",
    default: "info",
  },
  {
    name: "log-format",
    type: "string",
    value: "FORMAT",
    choices: ["auto", "json", "pretty"],
    help: "JSON lines or human-readable lines (auto: pretty on a terminal)",
    default: "auto",
  },
  ...DEV_KEY_FLAGS.map(
    (n): FlagSpec => ({
      name: n,
      type: "boolean",
      help: `Shortcut for \`--name ${n[0]?.toUpperCase()}${n.slice(1)} --validator\` with the //${n[0]?.toUpperCase()}${n.slice(1)} dev key`,
    }),
  ),
  ...COMPAT_FLAGS,
];

/** The relay-chain flags a collator takes after `--` (its embedded relay node). */
export const RELAY_FLAGS: FlagSpec[] = [
  { name: "chain", type: "string", value: "CHAIN_SPEC", help: "The relay chain spec" },
  {
    name: "base-path",
    short: "d",
    type: "string",
    value: "PATH",
    help: "The embedded relay node's base path",
    default: "<collator base>/polkadot",
  },
  { name: "port", type: "string", value: "PORT", help: "The embedded relay node's p2p port", default: "30334" },
  { name: "listen-addr", type: "string", multiple: true, value: "LISTEN_ADDR", help: "Listen multiaddrs" },
  { name: "bootnodes", type: "string", multiple: true, value: "ADDR", help: "Relay chain peers (validators)" },
  { name: "node-key", type: "string", value: "KEY", help: "The embedded relay node's libp2p secret (64 hex digits)" },
  { name: "node-key-file", type: "string", value: "FILE", help: "A file with that secret" },
  // Cumulus runs RPC and Prometheus for the embedded relay node too; parapipe serves only the para side's.
  ignored("name", "string"),
  ignored("rpc-port", "string"),
  ignored("rpc-external"),
  ignored("unsafe-rpc-external"),
  ignored("rpc-methods", "string"),
  ignored("rpc-cors", "string"),
  ignored("prometheus-port", "string"),
  ignored("prometheus-external"),
  ignored("no-prometheus"),
  ignored("tmp"),
  ...COMPAT_FLAGS,
];

/** A port flag (0-65535). */
export function portFlag(a: ParsedArgs, command: string, name: string, fallback: number): number {
  return int(a, command, name, fallback, 0, 65535);
}

/** A node key file's content: 32 raw bytes (Substrate's `secret_ed25519`) or 64 hex digits. */
export function nodeKeyFromFile(bytes: Uint8Array): NodeKey {
  return bytes.length === 32 ? { secret: new Uint8Array(bytes) } : nodeKeyFromHex(Buffer.from(bytes).toString("utf8"));
}

/** The node key a command line gives: `--node-key` or `--node-key-file`; else the node keeps its own. */
export function nodeKeyOf(a: ParsedArgs, command: string): NodeKey | undefined {
  const hex = str(a, "node-key");
  const file = str(a, "node-key-file");
  if (hex !== undefined && file !== undefined)
    throw badArguments(command, "give --node-key or --node-key-file, not both");
  try {
    if (hex !== undefined) return nodeKeyFromHex(hex);
    if (file !== undefined) {
      return nodeKeyFromFile(readFileSync(file));
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(
      { code: "KEY", reason: "node key" },
      `${file ? `${file}: ` : ""}${/^invalid node key/.test((e as Error).message) ? "" : "invalid node key: "}${(e as Error).message}`,
    );
  }
  return undefined;
}

/** The listen multiaddrs: `--listen-addr`s, or `/ip4/0.0.0.0/tcp/<--port>`. */
export function listenOf(a: ParsedArgs, command: string, defaultPort: number): string[] {
  const addrs = list(a, "listen-addr");
  if (addrs.length) {
    if (str(a, "port") !== undefined) throw badArguments(command, "give --port or --listen-addr, not both");
    return addrs;
  }
  return [`/ip4/0.0.0.0/tcp/${portFlag(a, command, "port", defaultPort)}`];
}

/** The dev account a `--alice` style flag names, if any. */
export function devAccountOf(a: ParsedArgs, command: string): string | undefined {
  const given = DEV_KEY_FLAGS.filter((n) => bool(a, n));
  if (given.length > 1)
    throw badArguments(command, `give one dev key flag, found ${given.map((g) => `--${g}`).join(" ")}`);
  const n = given[0];
  return n === undefined ? undefined : `${n[0]?.toUpperCase()}${n.slice(1)}`;
}

/** Where a node keeps its data and whether to remove it on exit. */
export interface BaseDirs {
  base: string;
  /** `<base>/chains/<chain id>`: the directory the node's database, network key and keystore live in. */
  chain: string;
  /** `--tmp`: remove `base` on exit. */
  temporary: boolean;
}

/** Resolves `--base-path` / `--tmp` for a chain, creating and checking the directory. */
export function baseDirsOf(a: ParsedArgs, command: string, spec: ChainSpec): BaseDirs {
  const given = str(a, "base-path");
  const temporary = bool(a, "tmp");
  if (given !== undefined && temporary) throw badArguments(command, "give --base-path or --tmp, not both");
  const base = ensureWritableDir(temporary ? tmpBasePath() : (given ?? defaultBasePath()));
  return { base, chain: ensureWritableDir(chainDir(base, spec.id), "chain directory"), temporary };
}

/** The log filter of `--log` (`RUST_LOG`-style directives, also read from `PARAPIPE_LOG`). */
export function logFilterOf(a: ParsedArgs, command: string): LogFilter {
  const directives = list(a, "log");
  if (!directives.length && process.env.PARAPIPE_LOG) directives.push(process.env.PARAPIPE_LOG);
  try {
    return parseLogFilter(directives);
  } catch (e) {
    throw badArguments(command, (e as Error).message);
  }
}

/** The RPC server's options from the command line. */
export interface RpcFlags {
  host: string;
  port: number;
  methods: "safe" | "unsafe" | "auto";
  cors: string[] | "all";
  maxConnections: number;
  maxRequestBytes: number;
  maxResponseBytes: number;
  maxSubscriptionsPerConnection: number;
}

/** Resolves the `--rpc-*` flags (Substrate's semantics: `--unsafe-rpc-external` = external + unsafe). */
export function rpcFlagsOf(a: ParsedArgs, command: string): RpcFlags {
  const unsafeExternal = bool(a, "unsafe-rpc-external");
  const external = unsafeExternal || bool(a, "rpc-external");
  const methods = (str(a, "rpc-methods") ?? (unsafeExternal ? "unsafe" : "auto")) as RpcFlags["methods"];
  const cors = str(a, "rpc-cors");
  const mib = (name: string) => int(a, command, name, 15, 1, 1024) * 1024 * 1024;
  return {
    host: external ? "0.0.0.0" : "127.0.0.1",
    port: portFlag(a, command, "rpc-port", DEFAULT_PORTS.rpc),
    methods,
    cors:
      cors === undefined
        ? [
            "http://localhost:*",
            "http://127.0.0.1:*",
            "https://localhost:*",
            "https://127.0.0.1:*",
            "https://polkadot.js.org",
          ]
        : cors.split(",").some((s) => s.trim() === "all")
          ? "all"
          : cors
              .split(",")
              .map((s) => s.trim())
              .filter((s) => s !== ""),
    maxConnections: int(a, command, "rpc-max-connections", 100, 1, 100_000),
    maxRequestBytes: mib("rpc-max-request-size"),
    maxResponseBytes: mib("rpc-max-response-size"),
    maxSubscriptionsPerConnection: int(a, command, "rpc-max-subscriptions-per-connection", 1024, 1, 1_000_000),
  };
}

/** The Prometheus exporter's address, or none with `--no-prometheus`. */
export function prometheusOf(a: ParsedArgs, command: string): { host: string; port: number } | undefined {
  if (bool(a, "no-prometheus")) return undefined;
  return {
    host: bool(a, "prometheus-external") ? "0.0.0.0" : "127.0.0.1",
    port: portFlag(a, command, "prometheus-port", DEFAULT_PORTS.prometheus),
  };
}

/**
 * The authoring key of a node: the dev account's (`--alice`), else one in the keystore
 * (`<chain dir>/keystore`, `parapipe key insert`). `needed`: the node was asked to author (`--validator`,
 * `--collator`), so having none is an error.
 */
export function authorityKeyOf(
  devAccount: string | undefined,
  chainDirPath: string,
  needed: boolean,
  role: "validator" | "collator",
): Sr25519Keypair | undefined {
  if (devAccount) return keypairOfSuri(`//${devAccount}`);
  const found = new Keystore(`${chainDirPath}/keystore`).find(KEY_TYPES);
  if (found) return found.pair;
  if (needed)
    throw new CliError(
      { code: "KEY", reason: "no key" },
      `--${role} needs a session key: pass a dev key flag (--alice ...) or insert one with \`parapipe key insert --key-type aura --suri <secret>\` (looked in ${chainDirPath}/keystore)`,
    );
  return undefined;
}

/**
 * The `--dev-byzantine <mode>` flag of a node command (tests only: the node misbehaves on purpose). `modes`
 * are what the command's node offers.
 */
export function devByzantineFlag(modes: readonly string[], what: string): FlagSpec {
  return {
    name: "dev-byzantine",
    type: "string",
    value: "MODE",
    choices: modes,
    help: `TEST ONLY: ${what}; refused unless the chain spec is a Development or Local one`,
  };
}

/** `--dev-byzantine`'s mode, refused (a usage error) with a chain spec that is neither Development nor Local. */
export function devByzantineOf<T extends string>(a: ParsedArgs, command: string, spec: ChainSpec): T | undefined {
  const mode = str(a, "dev-byzantine");
  if (mode === undefined) return undefined;
  if (spec.chainType !== "Development" && spec.chainType !== "Local")
    throw badArguments(
      command,
      `--dev-byzantine is for test networks only: chain ${spec.id} is a ${spec.chainType} chain, not Development or Local`,
    );
  return mode as T;
}

/** Loads `--chain` (default `fallback`). */
export function chainOf(a: ParsedArgs, fallback: string, kind: "relay" | "para"): { name: string; spec: ChainSpec } {
  const name = str(a, "chain") ?? fallback;
  return { name, spec: loadChainSpec(name, kind) };
}

/** Why `host:port` cannot be bound right now (undefined: it can). */
export function bindError(port: number, host: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e));
    s.listen(port, host, () => s.close(() => resolve(undefined)));
  });
}

/**
 * Checks that the TCP ports of `/ip4|ip6/<host>/tcp/<port>` listen addresses can be bound, so a port in use is
 * one clear error (libp2p reports it as a multi-line transport failure). Port 0 and other transports pass.
 */
export async function checkListenPorts(listen: string[], what: string): Promise<void> {
  for (const addr of listen) {
    const m = /^\/ip([46])\/([^/]+)\/tcp\/(\d+)/.exec(addr);
    if (!m || m[3] === "0") continue;
    const port = Number(m[3]);
    const host = m[2] as string;
    const err = await bindError(port, host);
    if (err?.code === "EADDRINUSE")
      throw new CliError({ code: "PORT_IN_USE", port, what }, `${what} port ${port} is already in use (${addr})`);
  }
}
