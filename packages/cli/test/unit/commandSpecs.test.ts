import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bool, type CommandSpec, helpText, list, parseArgs, str } from "../../src/args.js";
import { COLLATOR_COMMAND } from "../../src/commands/collator.js";
import { DEVNET_COMMAND } from "../../src/commands/devnet.js";
import { KEY_COMMANDS } from "../../src/commands/key.js";
import { PURGE_CHAIN_COMMAND } from "../../src/commands/purgeChain.js";
import {
  BUILD_SPEC_COMMAND,
  EXPORT_GENESIS_HEAD_COMMAND,
  EXPORT_GENESIS_WASM_COMMAND,
} from "../../src/commands/spec.js";
import { VALIDATOR_COMMAND } from "../../src/commands/validator.js";
import { topHelp } from "../../src/main.js";
import { listenOf, NODE_FLAGS, RELAY_FLAGS } from "../../src/nodeFlags.js";
import { throwsUsage } from "./helpers.js";

/** The spec `collatorCommand` parses the part after `--` with (commands/collator.ts). */
const RELAY_COMMAND: CommandSpec = { name: "collator", summary: "", flags: RELAY_FLAGS };

const ALL_COMMANDS: CommandSpec[] = [
  VALIDATOR_COMMAND,
  COLLATOR_COMMAND,
  DEVNET_COMMAND,
  BUILD_SPEC_COMMAND,
  EXPORT_GENESIS_HEAD_COMMAND,
  EXPORT_GENESIS_WASM_COMMAND,
  PURGE_CHAIN_COMMAND,
  ...Object.values(KEY_COMMANDS),
  RELAY_COMMAND,
];

const COMPAT_HEADING = "Accepted for compatibility with Substrate command lines, and ignored:";

describe("command specs", () => {
  for (const spec of ALL_COMMANDS) {
    test(`\`${spec.name}\`: help mentions every flag; ignored ones only under the compatibility heading`, () => {
      const help = helpText(spec);
      const at = help.indexOf(COMPAT_HEADING);
      const options = at < 0 ? help : help.slice(0, at);
      for (const f of spec.flags) {
        const shown = new RegExp(`--${f.name}(?![\\w-])`);
        if (f.ignored) assert.ok(at > 0 && shown.test(help.slice(at)), `--${f.name} is not listed as ignored`);
        else assert.ok(shown.test(options), `--${f.name} is not in the options of ${spec.name}`);
      }
    });

    test(`\`${spec.name}\`: no flag name or short alias is defined twice`, () => {
      const names = spec.flags.map((f) => f.name);
      assert.deepEqual(
        names.filter((n, i) => names.indexOf(n) !== i),
        [],
      );
      const shorts = spec.flags.flatMap((f) => (f.short ? [f.short] : []));
      assert.deepEqual(
        shorts.filter((s, i) => shorts.indexOf(s) !== i),
        [],
      );
      assert.ok(!shorts.includes("h"), "-h is --help");
    });

    test(`\`${spec.name}\`: every default of a flag with choices is one of its choices`, () => {
      for (const f of spec.flags)
        if (f.choices && f.default !== undefined) assert.ok(f.choices.includes(f.default), f.name);
    });

    test(`\`${spec.name}\`: --help parses`, () => {
      assert.equal(parseArgs(spec, ["--help"]).help, true);
    });
  }

  test("the collator takes the validator's node flags plus its own, and trailing relay arguments", () => {
    const names = new Set(COLLATOR_COMMAND.flags.map((f) => f.name));
    for (const f of NODE_FLAGS) assert.ok(names.has(f.name), f.name);
    for (const n of ["collator", "validator", "parachain-id"]) assert.ok(names.has(n), n);
    assert.ok(COLLATOR_COMMAND.takesRest);
    assert.equal(VALIDATOR_COMMAND.takesRest, undefined);
    // The help names every relay flag the embedded node uses.
    for (const f of RELAY_FLAGS.filter((f) => !f.ignored))
      assert.ok(helpText(COLLATOR_COMMAND).includes(`--${f.name}`), f.name);
  });
});

describe("Zombienet's CLI probe (ecosystem.md §3.2)", () => {
  const helps = [...ALL_COMMANDS.map((s) => [s.name, helpText(s)] as const), ["top", topHelp()] as const];

  test("the validator help contains --insecure-validator-i-know-what-i-do (relay V2)", () => {
    assert.ok(helpText(VALIDATOR_COMMAND).includes("--insecure-validator-i-know-what-i-do"));
  });

  test("the top-level help contains export-genesis-head (para V3)", () => {
    assert.ok(topHelp().includes("export-genesis-head"));
    assert.ok(topHelp().includes("export-genesis-wasm"));
    assert.ok(topHelp().includes("build-spec"));
  });

  test("no help text contains --ws-port (which would classify the binary as V0)", () => {
    for (const [name, help] of helps) assert.ok(!help.includes("--ws-port"), name);
  });

  test("the top-level help lists every command", () => {
    for (const c of ["validator", "collator", "devnet", "build-spec", "key", "purge-chain"])
      assert.ok(topHelp().includes(`  ${c} `), c);
  });
});

describe("Zombienet command lines (ecosystem.md §3.2)", () => {
  const NODE_KEY = "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90";
  const PEER_A = "12D3KooWQCkBm1BYtkHpocxCwMgR8yjitEeHGx8spzcDLGt2gkBm";
  const PEER_B = "12D3KooWHdiAxVd8uMQR1hGWXccidmfCwLqcMpGwR6QcTP6QRMuD";

  test("the relay node command (`genCmd`, native provider) parses with the validator spec", () => {
    const argv = [
      ...["--chain", "/tmp/zombie-1/cfg/rococo-local.json", "--name", "alice"],
      ...["--rpc-cors", "all", "--rpc-methods", "unsafe"],
      "-lparachain=debug", // user args
      ...["--no-mdns", "--node-key", NODE_KEY, "--no-telemetry", "--prometheus-external"],
      ...["--validator", "--insecure-validator-i-know-what-i-do"],
      ...["--bootnodes", `/ip4/127.0.0.1/tcp/30333/ws/p2p/${PEER_A}`, `/ip4/127.0.0.1/tcp/30334/ws/p2p/${PEER_B}`],
      ...["--prometheus-port", "9615", "--rpc-port", "9944"],
      ...["--listen-addr", "/ip4/127.0.0.1/tcp/30335/ws", "--base-path", "/tmp/zombie-1/alice/data"],
    ];
    const a = parseArgs(VALIDATOR_COMMAND, argv);
    assert.equal(str(a, "chain"), "/tmp/zombie-1/cfg/rococo-local.json");
    assert.equal(str(a, "name"), "alice");
    assert.equal(str(a, "rpc-cors"), "all");
    assert.equal(str(a, "rpc-methods"), "unsafe");
    assert.deepEqual(list(a, "log"), ["parachain=debug"]);
    assert.equal(str(a, "node-key"), NODE_KEY);
    assert.equal(bool(a, "prometheus-external"), true);
    assert.equal(bool(a, "validator"), true);
    assert.deepEqual(list(a, "bootnodes"), [
      `/ip4/127.0.0.1/tcp/30333/ws/p2p/${PEER_A}`,
      `/ip4/127.0.0.1/tcp/30334/ws/p2p/${PEER_B}`,
    ]);
    assert.equal(str(a, "prometheus-port"), "9615");
    assert.equal(str(a, "rpc-port"), "9944");
    assert.deepEqual(listenOf(a, "validator", 30333), ["/ip4/127.0.0.1/tcp/30335/ws"]);
    assert.equal(str(a, "base-path"), "/tmp/zombie-1/alice/data");
    assert.deepEqual(a.positionals, []);
    assert.deepEqual(a.rest, []);
  });

  test("the relay node command of a validator named after a dev account keeps `--alice` (zombienet#1448)", () => {
    const a = parseArgs(VALIDATOR_COMMAND, ["--chain", "/cfg/rococo-local.json", "--alice", "--validator"]);
    assert.equal(bool(a, "alice"), true);
  });

  test("the cumulus collator command (`genCumulusCollatorCmd`) parses, and its relay part parses with RELAY_FLAGS", () => {
    const argv = [
      ...["--name", "collator01", "--node-key", NODE_KEY],
      ...["--chain", "/tmp/zombie-1/cfg/rococo-local-2000.json", "--base-path", "/tmp/zombie-1/collator01/data"],
      ...["--listen-addr", "/ip4/127.0.0.1/tcp/31000/ws", "--prometheus-external"],
      ...["--rpc-cors", "all", "--rpc-methods", "unsafe", "--prometheus-port", "9616", "--rpc-port", "9945"],
      "--collator",
      ...["--force-authoring", "-lparachain=debug"], // user args
      "--",
      ...["--base-path", "/tmp/zombie-1/collator01/relay-data", "--chain", "/tmp/zombie-1/cfg/rococo-local.json"],
      ...["--execution", "wasm", "--port", "41000", "--rpc-port", "41001", "--prometheus-port", "41002"],
    ];
    const a = parseArgs(COLLATOR_COMMAND, argv);
    assert.equal(str(a, "name"), "collator01");
    assert.equal(str(a, "chain"), "/tmp/zombie-1/cfg/rococo-local-2000.json");
    assert.equal(str(a, "base-path"), "/tmp/zombie-1/collator01/data");
    assert.equal(bool(a, "collator"), true);
    assert.equal(str(a, "rpc-port"), "9945");
    assert.deepEqual(a.rest, argv.slice(argv.indexOf("--") + 1));

    const relay = parseArgs(RELAY_COMMAND, a.rest);
    assert.equal(str(relay, "base-path"), "/tmp/zombie-1/collator01/relay-data");
    assert.equal(str(relay, "chain"), "/tmp/zombie-1/cfg/rococo-local.json");
    assert.equal(str(relay, "port"), "41000");
    assert.deepEqual(listenOf(relay, "collator", 30334), ["/ip4/0.0.0.0/tcp/41000"]);
    assert.deepEqual(relay.positionals, []);
  });

  test("a non-cumulus collator command (`genCmd` plus --parachain-id) parses with the collator spec", () => {
    const a = parseArgs(COLLATOR_COMMAND, [
      ...["--chain", "/cfg/para-2000.json", "--name", "collator02", "--rpc-cors", "all", "--rpc-methods", "unsafe"],
      ...["--no-mdns", "--node-key", NODE_KEY, "--no-telemetry", "--prometheus-external"],
      ...["--prometheus-port", "9617", "--rpc-port", "9946", "--listen-addr", "/ip4/127.0.0.1/tcp/31002/ws"],
      ...["--base-path", "/data", "--parachain-id", "2000"],
    ]);
    assert.equal(str(a, "parachain-id"), "2000");
  });

  test("the relay part of a collator command refuses para-only flags", () => {
    throwsUsage(() => parseArgs(RELAY_COMMAND, ["--collator"]), "--collator");
  });

  test("the build-spec commands Zombienet runs parse", () => {
    const plain = parseArgs(BUILD_SPEC_COMMAND, ["--chain", "local", "--disable-default-bootnode"]);
    assert.equal(str(plain, "chain"), "local");
    const raw = parseArgs(BUILD_SPEC_COMMAND, ["--chain", "/cfg/plain.json", "--disable-default-bootnode", "--raw"]);
    assert.equal(bool(raw, "raw"), true);
  });

  test("the genesis export commands Zombienet runs parse, with the output file as positional", () => {
    const a = parseArgs(EXPORT_GENESIS_HEAD_COMMAND, [
      ...["--chain", "/cfg/para-2000.json", "--base-path", "/tmp/x"],
      "/cfg/genesis-state",
    ]);
    assert.deepEqual(a.positionals, ["/cfg/genesis-state"]);
    assert.deepEqual(parseArgs(EXPORT_GENESIS_WASM_COMMAND, ["--chain", "para-local"]).positionals, []);
  });
});
