/**
 * The node configuration a command line resolves to: nodeFlags.ts (RPC, Prometheus, listen addresses, node and
 * session keys, base paths, log filter), keystore.ts and paths.ts. One file, since each test file is a process
 * that loads the node packages once.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { nodeKeyToHex } from "@parapipe/network";
import { NodeLoggerError, parseLogFilter } from "@parapipe/node";
import { type ChainSpec, cryptoReady, keypairFromUri, toHex } from "@parapipe/primitives";
import { parseArgs } from "../../src/args.js";
import { loadChainSpec } from "../../src/chainSpecs.js";
import { COLLATOR_COMMAND } from "../../src/commands/collator.js";
import { VALIDATOR_COMMAND } from "../../src/commands/validator.js";
import { KEY_TYPES, Keystore, keypairOfSuri } from "../../src/keystore.js";
import {
  authorityKeyOf,
  baseDirsOf,
  DEFAULT_PORTS,
  devAccountOf,
  devByzantineOf,
  listenOf,
  logFilterOf,
  nodeKeyOf,
  portFlag,
  prometheusOf,
  rpcFlagsOf,
} from "../../src/nodeFlags.js";
import { chainDir, defaultBasePath, ensureWritableDir, removeTree, tmpBasePath } from "../../src/paths.js";
import { throwsCli, throwsUsage } from "./helpers.js";

const CMD = "validator";
const v = (...argv: string[]) => parseArgs(VALIDATOR_COMMAND, argv);
const MiB = 1024 * 1024;
const KEY_HEX = "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90";

// Secret URIs that are 0x seeds skip the mnemonic's key stretching: fast, where the URI form does not matter.
const SEED_A = `0x${"aa".repeat(32)}`;
const SEED_B = `0x${"bb".repeat(32)}`;
const pubs = new Map<string, string>();
/** The public key of a secret URI, hex without 0x. */
function pub(suri: string): string {
  let p = pubs.get(suri);
  if (p === undefined) {
    p = toHex(keypairFromUri(suri).publicKey).slice(2);
    pubs.set(suri, p);
  }
  return p;
}

let root: string;
let seq = 0;
const savedXdg = process.env.XDG_DATA_HOME;
/** A relay spec from the repository's chain-spec/ (plain, parsed without building genesis). */
let spec: ChainSpec;

before(async () => {
  await cryptoReady();
  root = mkdtempSync(join(tmpdir(), "parapipe-cli-nodeflags-"));
  spec = loadChainSpec(fileURLToPath(new URL("../../../../../chain-spec/local.json", import.meta.url)), "relay");
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

const fresh = (name = "d") => join(root, `${name}${seq++}`);

/** Runs `fn` with environment variables set, restoring them after. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (k: string, val: string | undefined) => {
    if (val === undefined) delete process.env[k];
    else process.env[k] = val;
  };
  for (const [k, val] of Object.entries(vars)) set(k, val);
  try {
    return fn();
  } finally {
    for (const [k, val] of Object.entries(saved)) set(k, val);
  }
}

describe("rpcFlagsOf", () => {
  test("defaults: loopback, port 9944, auto methods, Substrate's CORS origins, 15 MiB limits", () => {
    assert.deepEqual(rpcFlagsOf(v(), CMD), {
      host: "127.0.0.1",
      port: 9944,
      methods: "auto",
      cors: [
        "http://localhost:*",
        "http://127.0.0.1:*",
        "https://localhost:*",
        "https://127.0.0.1:*",
        "https://polkadot.js.org",
      ],
      maxConnections: 100,
      maxRequestBytes: 15 * MiB,
      maxResponseBytes: 15 * MiB,
      maxSubscriptionsPerConnection: 1024,
    });
  });

  test("--rpc-external listens on all interfaces and keeps the methods on auto", () => {
    const r = rpcFlagsOf(v("--rpc-external"), CMD);
    assert.equal(r.host, "0.0.0.0");
    assert.equal(r.methods, "auto");
  });

  test("--unsafe-rpc-external listens on all interfaces with unsafe methods, unless --rpc-methods says otherwise", () => {
    const r = rpcFlagsOf(v("--unsafe-rpc-external"), CMD);
    assert.equal(r.host, "0.0.0.0");
    assert.equal(r.methods, "unsafe");
    assert.equal(rpcFlagsOf(v("--unsafe-rpc-external", "--rpc-methods", "safe"), CMD).methods, "safe");
  });

  test("--rpc-methods is taken as given", () => {
    assert.equal(rpcFlagsOf(v("--rpc-methods", "unsafe"), CMD).methods, "unsafe");
    assert.equal(rpcFlagsOf(v("--rpc-methods", "unsafe"), CMD).host, "127.0.0.1");
  });

  test("--rpc-cors all allows every origin; a comma list is trimmed and empty items dropped", () => {
    assert.equal(rpcFlagsOf(v("--rpc-cors", "all"), CMD).cors, "all");
    assert.deepEqual(rpcFlagsOf(v("--rpc-cors", "http://a.example, https://b.example,,"), CMD).cors, [
      "http://a.example",
      "https://b.example",
    ]);
  });

  test("--rpc-port and the limits are read as integers; sizes are in MiB", () => {
    const r = rpcFlagsOf(
      v(
        ...["--rpc-port", "9000", "--rpc-max-connections", "7", "--rpc-max-request-size", "2"],
        ...["--rpc-max-response-size", "1024", "--rpc-max-subscriptions-per-connection", "3"],
      ),
      CMD,
    );
    assert.equal(r.port, 9000);
    assert.equal(r.maxConnections, 7);
    assert.equal(r.maxRequestBytes, 2 * MiB);
    assert.equal(r.maxResponseBytes, 1024 * MiB);
    assert.equal(r.maxSubscriptionsPerConnection, 3);
  });

  test("out-of-range or non-integer values are usage errors naming the flag", () => {
    throwsUsage(
      () => rpcFlagsOf(v("--rpc-max-request-size", "0"), CMD),
      "--rpc-max-request-size",
      "between 1 and 1024",
    );
    throwsUsage(() => rpcFlagsOf(v("--rpc-max-response-size", "1025"), CMD), "--rpc-max-response-size");
    throwsUsage(() => rpcFlagsOf(v("--rpc-max-request-size", "1.5"), CMD), "--rpc-max-request-size", "integer");
    throwsUsage(() => rpcFlagsOf(v("--rpc-port", "65536"), CMD), "--rpc-port", "between 0 and 65535");
    throwsUsage(() => rpcFlagsOf(v("--rpc-max-connections", "0"), CMD), "--rpc-max-connections");
  });
});

describe("prometheusOf", () => {
  test("defaults to loopback on port 9615", () => {
    assert.deepEqual(prometheusOf(v(), CMD), { host: "127.0.0.1", port: DEFAULT_PORTS.prometheus });
  });

  test("--prometheus-external listens on all interfaces; --prometheus-port sets the port", () => {
    assert.deepEqual(prometheusOf(v("--prometheus-external", "--prometheus-port", "9700"), CMD), {
      host: "0.0.0.0",
      port: 9700,
    });
  });

  test("--no-prometheus turns the exporter off", () => {
    assert.equal(prometheusOf(v("--no-prometheus", "--prometheus-port", "9700"), CMD), undefined);
  });

  test("a bad port is a usage error", () => {
    throwsUsage(() => prometheusOf(v("--prometheus-port", "x"), CMD), "--prometheus-port");
  });
});

describe("listenOf and portFlag", () => {
  test("without --listen-addr the node listens on 0.0.0.0 at --port or the default", () => {
    assert.deepEqual(listenOf(v(), CMD, 30333), ["/ip4/0.0.0.0/tcp/30333"]);
    assert.deepEqual(listenOf(v("--port", "4000"), CMD, 30333), ["/ip4/0.0.0.0/tcp/4000"]);
  });

  test("--listen-addr replaces --port, repeated or comma separated", () => {
    assert.deepEqual(
      listenOf(v("--listen-addr", "/ip4/127.0.0.1/tcp/1/ws", "--listen-addr", "/ip4/127.0.0.1/tcp/2"), CMD, 1),
      ["/ip4/127.0.0.1/tcp/1/ws", "/ip4/127.0.0.1/tcp/2"],
    );
    assert.deepEqual(listenOf(v("--listen-addr", "/ip4/0.0.0.0/tcp/1,/ip6/::/tcp/1"), CMD, 1), [
      "/ip4/0.0.0.0/tcp/1",
      "/ip6/::/tcp/1",
    ]);
  });

  test("--port with --listen-addr is a usage error", () => {
    throwsUsage(
      () => listenOf(v("--port", "1", "--listen-addr", "/ip4/0.0.0.0/tcp/2"), CMD, 3),
      "--port",
      "--listen-addr",
    );
  });

  test("port flags take 0-65535", () => {
    assert.equal(portFlag(v("--port", "0"), CMD, "port", 1), 0);
    assert.equal(portFlag(v("--port", "65535"), CMD, "port", 1), 65535);
    throwsUsage(() => portFlag(v("--port", "65536"), CMD, "port", 1), "--port");
    throwsUsage(() => listenOf(v("--port", "-1"), CMD, 1), "--port", '"-1"');
  });
});

describe("devByzantineOf", () => {
  const withType = (chainType: ChainSpec["chainType"]): ChainSpec => ({ ...spec, chainType });
  test("no --dev-byzantine is no byzantine mode", () => {
    assert.equal(devByzantineOf(v(), CMD, withType("Live")), undefined);
  });
  test("--dev-byzantine is taken with a Development or Local chain", () => {
    assert.equal(devByzantineOf(v("--dev-byzantine", "doubleVote"), CMD, withType("Development")), "doubleVote");
    assert.equal(devByzantineOf(v("--dev-byzantine", "secondInvalid"), CMD, withType("Local")), "secondInvalid");
  });
  test("--dev-byzantine with a Live chain is a usage error naming the chain", () => {
    throwsUsage(
      () => devByzantineOf(v("--dev-byzantine", "doubleVote"), CMD, withType("Live")),
      "test networks only",
      spec.id,
      "Live",
    );
  });
  test("an unknown mode is a usage error listing the command's modes", () => {
    throwsUsage(() => v("--dev-byzantine", "lie"), "dev-byzantine");
    throwsUsage(() => parseArgs(COLLATOR_COMMAND, ["--dev-byzantine", "doubleVote"]), "dev-byzantine");
  });
});

describe("devAccountOf", () => {
  test("no dev flag is no dev account", () => {
    assert.equal(devAccountOf(v(), CMD), undefined);
  });

  test("a dev flag names its account, capitalised", () => {
    assert.equal(devAccountOf(v("--alice"), CMD), "Alice");
    assert.equal(devAccountOf(v("--ferdie"), CMD), "Ferdie");
  });

  test("two dev flags are a usage error naming both", () => {
    throwsUsage(() => devAccountOf(v("--alice", "--bob"), CMD), "--alice", "--bob");
  });
});

describe("nodeKeyOf", () => {
  test("no key flag leaves the node its own key", () => {
    assert.equal(nodeKeyOf(v(), CMD), undefined);
  });

  test("--node-key takes 64 hex digits, with or without 0x", () => {
    assert.equal(nodeKeyToHex(nodeKeyOf(v("--node-key", KEY_HEX), CMD)!), KEY_HEX);
    assert.equal(nodeKeyToHex(nodeKeyOf(v("--node-key", `0x${KEY_HEX}`), CMD)!), KEY_HEX);
    assert.equal(nodeKeyToHex(nodeKeyOf(v("--node-key", KEY_HEX.toUpperCase()), CMD)!), KEY_HEX);
  });

  test("a bad --node-key is a CliError KEY (the network's NodeKeyError is wrapped) that does not echo the key", () => {
    for (const bad of [KEY_HEX.slice(2), `${KEY_HEX.slice(1)}z`, "not-a-key"]) {
      const e = throwsCli(() => nodeKeyOf(v("--node-key", bad), CMD), "KEY", "invalid node key", "64 hex digits");
      assert.deepEqual(e.type, { code: "KEY", reason: "node key" });
      assert.ok(!e.message.includes(bad), e.message);
    }
  });

  test("a bad --node-key message says `invalid node key` once", () => {
    const e = throwsCli(() => nodeKeyOf(v("--node-key", "abc"), CMD), "KEY");
    assert.equal(e.message.split("invalid node key").length - 1, 1, e.message);
  });

  test("--node-key-file reads 32 raw bytes", () => {
    const path = join(root, "raw-node-key");
    writeFileSync(path, Buffer.from(KEY_HEX, "hex"));
    assert.equal(nodeKeyToHex(nodeKeyOf(v("--node-key-file", path), CMD)!), KEY_HEX);
  });

  test("--node-key-file reads 64 hex digits, with a trailing newline", () => {
    const path = join(root, "hex-node-key");
    writeFileSync(path, `${KEY_HEX}\n`);
    assert.equal(nodeKeyToHex(nodeKeyOf(v("--node-key-file", path), CMD)!), KEY_HEX);
  });

  test("a --node-key-file that is missing or holds no key is a CliError KEY naming the file", () => {
    const missing = join(root, "no-such-key");
    throwsCli(() => nodeKeyOf(v("--node-key-file", missing), CMD), "KEY", missing);
    const short = join(root, "short-node-key");
    writeFileSync(short, "abcd\n");
    throwsCli(() => nodeKeyOf(v("--node-key-file", short), CMD), "KEY", short, "64 hex digits");
  });

  test("--node-key with --node-key-file is a usage error", () => {
    throwsUsage(
      () => nodeKeyOf(v("--node-key", KEY_HEX, "--node-key-file", "/x"), CMD),
      "--node-key",
      "--node-key-file",
    );
  });
});

describe("baseDirsOf", () => {
  test("--base-path is created with <base>/chains/<chain id>", () => {
    const base = join(fresh(), "nested", "base");
    const dirs = baseDirsOf(v("--base-path", base), CMD, spec);
    assert.deepEqual(dirs, { base: resolve(base), chain: join(resolve(base), "chains", spec.id), temporary: false });
    assert.ok(statSync(dirs.chain).isDirectory());
  });

  test("-d is --base-path, and a relative path is made absolute", () => {
    const rel = relative(process.cwd(), join(fresh(), "rel"));
    assert.ok(!isAbsolute(rel));
    const dirs = baseDirsOf(v("-d", rel), CMD, spec);
    assert.equal(dirs.base, resolve(rel));
  });

  test("--tmp makes a fresh temporary base path, marked for removal", () => {
    const dirs = baseDirsOf(v("--tmp"), CMD, spec);
    try {
      assert.equal(dirs.temporary, true);
      assert.ok(dirs.base.startsWith(resolve(tmpdir())), dirs.base);
      assert.ok(statSync(dirs.chain).isDirectory());
      assert.equal(dirs.chain, join(dirs.base, "chains", spec.id));
    } finally {
      rmSync(dirs.base, { recursive: true, force: true });
    }
  });

  test("--tmp with --base-path is a usage error, and creates nothing", () => {
    const base = fresh();
    throwsUsage(() => baseDirsOf(v("--tmp", "--base-path", base), CMD, spec), "--base-path", "--tmp");
    assert.equal(existsSync(base), false);
  });

  test("a base path under a regular file is a CliError BASE_PATH naming the path", () => {
    const parent = fresh("file");
    writeFileSync(parent, "not a directory");
    const base = join(parent, "base");
    const e = throwsCli(() => baseDirsOf(v("--base-path", base), CMD, spec), "BASE_PATH", base);
    assert.deepEqual(e.type, { code: "BASE_PATH", path: base });
    assert.equal(e.exitCode, 1);
  });

  test("a base path that is a regular file is a CliError BASE_PATH", () => {
    const file = fresh("file");
    writeFileSync(file, "");
    throwsCli(() => baseDirsOf(v("--base-path", file), CMD, spec), "BASE_PATH", file);
  });

  test("without --base-path the default base path is used ($XDG_DATA_HOME/parapipe on Linux)", {
    skip: process.platform !== "linux",
  }, () => {
    const xdg = fresh("xdg");
    const dirs = withEnv({ XDG_DATA_HOME: xdg }, () => baseDirsOf(v(), CMD, spec));
    assert.equal(dirs.base, join(xdg, "parapipe"));
    assert.ok(statSync(join(xdg, "parapipe", "chains", spec.id)).isDirectory());
  });
});

describe("authorityKeyOf", () => {
  const hex = (suri: string) => toHex(keypairFromUri(suri).publicKey);
  const keyHex = (k: { publicKey: Uint8Array } | undefined) => (k === undefined ? undefined : toHex(k.publicKey));

  test("a dev account gives its //Name key, before any keystore key", () => {
    const chain = fresh("chain");
    new Keystore(join(chain, "keystore")).insert("aura", SEED_B);
    assert.equal(keyHex(authorityKeyOf("Alice", chain, true, "validator")), hex("//Alice"));
  });

  test("without a dev account, the keystore's key is used", () => {
    const chain = fresh("chain");
    new Keystore(join(chain, "keystore")).insert("aura", SEED_A);
    assert.equal(keyHex(authorityKeyOf(undefined, chain, true, "collator")), hex(SEED_A));
    assert.equal(keyHex(authorityKeyOf(undefined, chain, false, "collator")), hex(SEED_A));
  });

  test("no key where one is needed is a CliError KEY naming `key insert` and the keystore", () => {
    const chain = fresh("chain");
    const e = throwsCli(
      () => authorityKeyOf(undefined, chain, true, "validator"),
      "KEY",
      "--validator",
      "parapipe key insert",
      join(chain, "keystore"),
    );
    assert.deepEqual(e.type, { code: "KEY", reason: "no key" });
    throwsCli(() => authorityKeyOf(undefined, chain, true, "collator"), "KEY", "--collator");
  });

  test("no key where none is needed is no key", () => {
    assert.equal(authorityKeyOf(undefined, fresh("chain"), false, "validator"), undefined);
  });
});

describe("logFilterOf and parseLogFilter", () => {
  test("`debug` sets the default level", () => {
    assert.deepEqual(parseLogFilter(["debug"]), { level: "debug", targets: {} });
    assert.deepEqual(
      withEnv({ PARAPIPE_LOG: undefined }, () => logFilterOf(v("-l", "debug"), CMD)),
      {
        level: "debug",
        targets: {},
      },
    );
  });

  test("`info,backing=debug` sets the default level and one target's", () => {
    assert.deepEqual(parseLogFilter(["info,backing=debug"]), { level: "info", targets: { backing: "debug" } });
    assert.deepEqual(
      withEnv({ PARAPIPE_LOG: undefined }, () => logFilterOf(v("--log", "info,backing=debug", "-lsync=trace"), CMD)),
      { level: "info", targets: { backing: "debug", sync: "trace" } },
    );
  });

  test("no --log gives info, or PARAPIPE_LOG when set", () => {
    assert.deepEqual(parseLogFilter([]), { level: "info", targets: {} });
    assert.deepEqual(
      withEnv({ PARAPIPE_LOG: undefined }, () => logFilterOf(v(), CMD)),
      { level: "info", targets: {} },
    );
    assert.deepEqual(
      withEnv({ PARAPIPE_LOG: "warn,collator=debug" }, () => logFilterOf(v(), CMD)),
      {
        level: "warn",
        targets: { collator: "debug" },
      },
    );
    assert.deepEqual(
      withEnv({ PARAPIPE_LOG: "warn" }, () => logFilterOf(v("-l", "error"), CMD)),
      {
        level: "error",
        targets: {},
      },
    );
  });

  test("a bad level or directive is an error naming it", () => {
    for (const bad of ["loud", "backing=loud", "=debug", "a=b=c"]) {
      assert.throws(
        () => parseLogFilter([bad]),
        (e: unknown) => e instanceof NodeLoggerError && e.message.includes(`"${bad}"`),
        bad,
      );
    }
    throwsUsage(() => withEnv({ PARAPIPE_LOG: undefined }, () => logFilterOf(v("--log", "loud"), CMD)), '"loud"');
  });
});

describe("collator flags", () => {
  test("the collator spec reads the same node flags", () => {
    const a = parseArgs(COLLATOR_COMMAND, ["--bob", "--port", "31000", "--rpc-external", "--", "--port", "31001"]);
    assert.equal(devAccountOf(a, "collator"), "Bob");
    assert.deepEqual(listenOf(a, "collator", 1), ["/ip4/0.0.0.0/tcp/31000"]);
    assert.equal(rpcFlagsOf(a, "collator").host, "0.0.0.0");
  });
});

// ---- keystore.ts ---------------------------------------------------------------------------------------------

/** A keystore in a fresh directory that does not exist yet. */
const freshKeystore = () => new Keystore(join(fresh("ks"), "keystore"));
const AURA_HEX = "61757261"; // "aura" in ASCII

/** The key type and public key (hex, no 0x) `find` returns. */
function found(ks: Keystore, types: readonly string[]): [string, string] | undefined {
  const f = ks.find(types);
  return f === undefined ? undefined : [f.keyType, toHex(f.pair.publicKey).slice(2)];
}

describe("Keystore", () => {
  test("insert writes <hex(key type)><hex(public key)> holding the secret URI as a JSON string", () => {
    const ks = freshKeystore();
    const file = ks.insert("aura", "//Alice");
    assert.equal(basename(file), `${AURA_HEX}${pub("//Alice")}`);
    assert.equal(readFileSync(file, "utf8"), '"//Alice"');
    assert.deepEqual(readdirSync(ks.dir), [basename(file)]);
    if (process.platform !== "win32") assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test("find returns the key inserted", () => {
    const ks = freshKeystore();
    ks.insert("aura", SEED_A);
    assert.deepEqual(found(ks, ["aura"]), ["aura", pub(SEED_A)]);
  });

  test("find reads a file as Zombienet writes it", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    writeFileSync(join(ks.dir, `${Buffer.from("babe").toString("hex")}${pub("//Bob")}`), JSON.stringify("//Bob"));
    assert.deepEqual(found(ks, KEY_TYPES), ["babe", pub("//Bob")]);
  });

  test("find prefers the order of the types it is given", () => {
    const ks = freshKeystore();
    ks.insert("aura", SEED_A);
    ks.insert("babe", SEED_B);
    assert.deepEqual(found(ks, ["babe", "aura"]), ["babe", pub(SEED_B)]);
    assert.deepEqual(found(ks, ["aura", "babe"]), ["aura", pub(SEED_A)]);
    assert.deepEqual(found(ks, ["gran", "babe"]), ["babe", pub(SEED_B)]);
  });

  test("find returns undefined when no key of the types is present", () => {
    const ks = freshKeystore();
    ks.insert("gran", SEED_A);
    assert.equal(ks.find(["aura", "babe"]), undefined);
  });

  test("find skips files whose name is not a key type and a 32-byte public key", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    writeFileSync(join(ks.dir, `${AURA_HEX}abcd`), JSON.stringify(SEED_A));
    writeFileSync(join(ks.dir, `${AURA_HEX}${pub(SEED_A)}.bak`), "not json");
    assert.equal(ks.find(["aura"]), undefined);
  });

  test("a missing keystore directory finds nothing", () => {
    assert.equal(freshKeystore().find(KEY_TYPES), undefined);
  });

  test("a file whose secret does not give the public key in its name is refused", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    const name = `${AURA_HEX}${pub(SEED_A)}`;
    writeFileSync(join(ks.dir, name), JSON.stringify(SEED_B));
    throwsCli(() => ks.find(["aura"]), "KEY", name, `0x${pub(SEED_B)}`, "not the one in its name");
  });

  test("a file that is not JSON is refused", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    const name = `${AURA_HEX}${pub(SEED_A)}`;
    writeFileSync(join(ks.dir, name), SEED_A);
    throwsCli(() => ks.find(["aura"]), "KEY", name, "is not a JSON string");
  });

  test("a file holding JSON that is not a string is refused", () => {
    const ks = freshKeystore();
    mkdirSync(ks.dir, { recursive: true });
    const name = `${AURA_HEX}${pub(SEED_A)}`;
    writeFileSync(join(ks.dir, name), JSON.stringify({ suri: SEED_A }));
    throwsCli(() => ks.find(["aura"]), "KEY", name, "does not hold a secret URI string");
  });

  test("insert refuses a key type that is not four lowercase letters, writing nothing", () => {
    const ks = freshKeystore();
    for (const t of ["AURA", "aur", "auras", "au1a", ""])
      throwsCli(() => ks.insert(t, "//Alice"), "KEY", "four lowercase letters", `"${t}"`);
    assert.equal(ks.find(KEY_TYPES), undefined);
  });

  test("insert refuses an invalid secret URI, writing nothing", () => {
    const ks = freshKeystore();
    const e = throwsCli(() => ks.insert("aura", "not a mnemonic at all"), "KEY", "invalid secret URI");
    assert.deepEqual(e.type, { code: "KEY", reason: "secret URI" });
    assert.equal(ks.find(KEY_TYPES), undefined);
  });
});

describe("keypairOfSuri", () => {
  test("derives dev keys, and 0x seeds with and without a derivation path", () => {
    assert.equal(toHex(keypairOfSuri("//Alice").publicKey), toHex(keypairFromUri("//Alice").publicKey));
    const seed = `0x${"11".repeat(32)}`;
    assert.equal(keypairOfSuri(seed).publicKey.length, 32);
    assert.notEqual(toHex(keypairOfSuri(`${seed}//x`).publicKey), toHex(keypairOfSuri(seed).publicKey));
  });

  test("an invalid URI is a KEY error", () => {
    throwsCli(() => keypairOfSuri("0x1234"), "KEY", "invalid secret URI");
  });
});

// ---- paths.ts ------------------------------------------------------------------------------------------------

describe("defaultBasePath", { skip: process.platform !== "linux" && "Linux paths" }, () => {
  test("is $XDG_DATA_HOME/parapipe when XDG_DATA_HOME is set", () => {
    assert.equal(withEnv({ XDG_DATA_HOME: "/srv/data" }, defaultBasePath), "/srv/data/parapipe");
  });

  test("is ~/.local/share/parapipe when XDG_DATA_HOME is unset or empty", () => {
    const fallback = join(homedir(), ".local", "share", "parapipe");
    assert.equal(withEnv({ XDG_DATA_HOME: undefined }, defaultBasePath), fallback);
    assert.equal(withEnv({ XDG_DATA_HOME: "" }, defaultBasePath), fallback);
  });

  test("the environment is restored after each test", () => {
    assert.equal(process.env.XDG_DATA_HOME, savedXdg);
  });
});

describe("chainDir", () => {
  test("is Substrate's <base>/chains/<chain id>", () => {
    assert.equal(chainDir("/b", "parapipe_relay_async"), join("/b", "chains", "parapipe_relay_async"));
  });
});

describe("ensureWritableDir", () => {
  test("creates the directory and its parents and returns the absolute path", () => {
    const path = join(fresh(), "a", "b", "c");
    assert.equal(ensureWritableDir(path), path);
    assert.ok(statSync(path).isDirectory());
    assert.equal(ensureWritableDir(path), path, "an existing directory is fine");
  });

  test("a path through a regular file is a CliError BASE_PATH naming what it is for", () => {
    const file = fresh("plain-file");
    writeFileSync(file, "x");
    throwsCli(
      () => ensureWritableDir(join(file, "sub"), "relay chain base path"),
      "BASE_PATH",
      "relay chain base path",
    );
    throwsCli(() => ensureWritableDir(file), "BASE_PATH", file);
  });
});

describe("tmpBasePath and removeTree", () => {
  test("make a fresh directory under the system temp dir and remove it with its content", () => {
    const a = tmpBasePath("parapipe-cli-test-");
    const b = tmpBasePath("parapipe-cli-test-");
    try {
      assert.notEqual(a, b);
      assert.ok(a.startsWith(join(tmpdir(), "parapipe-cli-test-")), a);
      writeFileSync(join(ensureWritableDir(join(a, "chains", "x")), "f"), "data");
    } finally {
      removeTree(a);
      removeTree(b);
    }
    assert.equal(existsSync(a), false);
    assert.equal(existsSync(b), false);
    removeTree(a); // a missing tree is fine
  });
});
