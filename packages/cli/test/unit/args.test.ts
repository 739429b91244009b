import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bool, type CommandSpec, helpText, int, list, parseArgs, str } from "../../src/args.js";
import { throwsUsage } from "./helpers.js";

/** A command with one flag of every shape the parser knows. */
const SPEC: CommandSpec = {
  name: "demo",
  summary: "A demo command",
  description: "Demo description.",
  flags: [
    { name: "chain", type: "string", value: "CHAIN_SPEC", help: "The chain" },
    { name: "base-path", short: "d", type: "string", value: "PATH", help: "The base path" },
    { name: "validator", type: "boolean", help: "Author blocks" },
    { name: "yes", short: "y", type: "boolean", help: "Do not ask" },
    { name: "bootnodes", type: "string", multiple: true, value: "ADDR", help: "Peers" },
    { name: "log", short: "l", type: "string", multiple: true, value: "LOG_PATTERN", help: "Log directives" },
    {
      name: "rpc-methods",
      type: "string",
      value: "METHOD_SET",
      choices: ["auto", "safe", "unsafe"],
      help: "Which methods",
      default: "auto",
    },
    { name: "port", type: "string", value: "PORT", help: "The port", default: "30333" },
    { name: "offset", type: "string", help: "A value that may be negative" },
    { name: "execution", type: "string", ignored: true, help: "" },
    { name: "no-mdns", type: "boolean", ignored: true, help: "" },
  ],
  positionals: [{ name: "OUTPUT", help: "Where to write" }],
};

const WITH_REST: CommandSpec = {
  name: "outer",
  summary: "A command with trailing arguments",
  flags: [{ name: "collator", type: "boolean", help: "Collate" }],
  takesRest: "The inner node's flags",
};

const REQUIRED: CommandSpec = {
  name: "needs",
  summary: "A command with a required argument",
  flags: [],
  positionals: [
    { name: "URI", help: "The secret URI", required: true },
    { name: "EXTRA", help: "Optional" },
  ],
};

const parse = (...argv: string[]) => parseArgs(SPEC, argv);

describe("parseArgs: flag forms", () => {
  test("`--flag value` and `--flag=value` give the same string", () => {
    assert.equal(str(parse("--chain", "local"), "chain"), "local");
    assert.equal(str(parse("--chain=local"), "chain"), "local");
  });

  test("a value after `=` keeps further `=` signs", () => {
    assert.deepEqual(list(parse("--log=info,backing=debug"), "log"), ["info", "backing=debug"]);
  });

  test("`-d value` and `-dvalue` set the long flag of the short alias", () => {
    assert.equal(str(parse("-d", "/data"), "base-path"), "/data");
    assert.equal(str(parse("-d/data"), "base-path"), "/data");
    assert.deepEqual(list(parse("-lparachain=debug"), "log"), ["parachain=debug"]);
  });

  test("a boolean flag is true when given and false when absent", () => {
    const a = parse("--validator", "-y");
    assert.equal(bool(a, "validator"), true);
    assert.equal(bool(a, "yes"), true);
    assert.equal(bool(parse(), "validator"), false);
    assert.equal(a.flags["validator"], true);
  });

  test("`--flag=true` sets a boolean and `--flag=false` leaves it unset", () => {
    assert.equal(bool(parse("--validator=true"), "validator"), true);
    const off = parse("--validator=false");
    assert.equal(bool(off, "validator"), false);
    assert.equal(off.flags["validator"], undefined);
  });

  test("a boolean given a value is a usage error naming the flag and the value", () => {
    throwsUsage(() => parse("--validator=yes"), "--validator", "takes no value", '"yes"');
    throwsUsage(() => parse("-yes"), "--yes", "takes no value", '"es"');
    throwsUsage(() => parse("--validator="), "--validator", "takes no value");
  });

  test("a boolean followed by a word leaves the word as a positional argument", () => {
    const a = parse("--validator", "out.json");
    assert.equal(bool(a, "validator"), true);
    assert.deepEqual(a.positionals, ["out.json"]);
  });

  test("a string flag without a value is a usage error", () => {
    throwsUsage(() => parse("--chain"), "--chain", "needs a value");
    throwsUsage(() => parse("--chain="), "--chain", "needs a value");
    throwsUsage(() => parse("-d"), "--base-path", "needs a value");
  });

  test("a string flag followed by another flag is missing its value, not given the flag as value", () => {
    throwsUsage(() => parse("--chain", "--validator"), "--chain", "needs a value");
    throwsUsage(() => parse("--chain", "-y"), "--chain", "needs a value");
    throwsUsage(() => parse("--chain", "--"), "--chain", "needs a value");
  });

  test("negative-looking values are values, not flags", () => {
    assert.equal(str(parse("--offset", "-5"), "offset"), "-5");
    assert.equal(str(parse("--offset=-5"), "offset"), "-5");
    assert.deepEqual(parse("-1").positionals, ["-1"]);
  });

  test("a lone `-` is a value (stdin/stdout by convention)", () => {
    assert.equal(str(parse("--chain", "-"), "chain"), "-");
    assert.deepEqual(parse("-").positionals, ["-"]);
  });

  test("an unknown long flag is a usage error naming the flag and the command", () => {
    const e = throwsUsage(() => parse("--ws-port", "9944"), "--ws-port", "`parapipe demo`", "parapipe demo --help");
    assert.deepEqual(e.type, { code: "BAD_ARGUMENTS", command: "demo" });
    throwsUsage(() => parse("--ws-port=9944"), "unknown flag --ws-port ");
  });

  test("an unknown short flag is a usage error naming the flag and the command", () => {
    throwsUsage(() => parse("-x"), "unknown flag -x", "`parapipe demo`");
    throwsUsage(() => parse("-xvalue"), "unknown flag -x ", "`parapipe demo`");
  });

  test("a single-valued flag given twice with different values is a usage error", () => {
    throwsUsage(() => parse("--chain", "a", "--chain", "b"), "--chain", "given twice");
    throwsUsage(() => parse("--chain=a", "-d", "x", "--chain=b"), "--chain", "given twice");
  });

  test("a single-valued flag repeated with the same value is accepted", () => {
    assert.equal(str(parse("--chain", "a", "--chain=a"), "chain"), "a");
    assert.equal(bool(parse("--validator", "--validator"), "validator"), true);
  });

  test("a multiple flag collects every occurrence in order", () => {
    const a = parse("--log", "info", "-l", "backing=debug", "--log=sync=trace");
    assert.deepEqual(a.flags["log"], ["info", "backing=debug", "sync=trace"]);
    assert.deepEqual(list(a, "log"), ["info", "backing=debug", "sync=trace"]);
  });

  test("`--bootnodes a b` takes every multiaddr after one flag, as Zombienet writes it", () => {
    const a = parse("--bootnodes", "/ip4/127.0.0.1/tcp/1/ws/p2p/A", "/ip4/127.0.0.1/tcp/2/ws/p2p/B", "--validator");
    assert.deepEqual(list(a, "bootnodes"), ["/ip4/127.0.0.1/tcp/1/ws/p2p/A", "/ip4/127.0.0.1/tcp/2/ws/p2p/B"]);
    assert.equal(bool(a, "validator"), true);
  });

  test("`--bootnodes a b` stops at the first word that is not a multiaddr", () => {
    const a = parse("--bootnodes", "/ip4/1.2.3.4/tcp/1/p2p/A", "out.json");
    assert.deepEqual(list(a, "bootnodes"), ["/ip4/1.2.3.4/tcp/1/p2p/A"]);
    assert.deepEqual(a.positionals, ["out.json"]);
  });

  test("repeated `--bootnodes` flags and the several-values form combine", () => {
    const a = parse(
      "--bootnodes",
      "/dns/a/tcp/1",
      "/dns/b/tcp/2",
      "--bootnodes=/dns/c/tcp/3",
      "--bootnodes",
      "/dns/d/tcp/4",
    );
    assert.deepEqual(list(a, "bootnodes"), ["/dns/a/tcp/1", "/dns/b/tcp/2", "/dns/c/tcp/3", "/dns/d/tcp/4"]);
  });

  test("`list` splits comma- and space-separated values and drops empty ones", () => {
    const a = parse("--bootnodes", "/dns/a/tcp/1,/dns/b/tcp/2", "--bootnodes", "/dns/c/tcp/3 /dns/d/tcp/4,");
    assert.deepEqual(list(a, "bootnodes"), ["/dns/a/tcp/1", "/dns/b/tcp/2", "/dns/c/tcp/3", "/dns/d/tcp/4"]);
    assert.deepEqual(list(parse(), "bootnodes"), []);
    assert.deepEqual(list(parse("--chain", "a,b"), "chain"), ["a", "b"]);
  });

  test("`str` and `bool` read only their own type", () => {
    const a = parse("--validator", "--log", "info");
    assert.equal(str(a, "validator"), undefined);
    assert.equal(str(a, "log"), undefined);
    assert.equal(str(a, "chain"), undefined);
    assert.equal(bool(a, "log"), false);
  });
});

describe("parseArgs: choices", () => {
  test("a value among the choices is accepted", () => {
    assert.equal(str(parse("--rpc-methods", "unsafe"), "rpc-methods"), "unsafe");
  });

  test("a value outside the choices is a usage error naming the allowed values", () => {
    throwsUsage(() => parse("--rpc-methods", "all"), "--rpc-methods", "auto, safe, unsafe", '"all"');
    throwsUsage(() => parse("--rpc-methods=Unsafe"), "auto, safe, unsafe", '"Unsafe"');
  });
});

describe("parseArgs: positionals, `--` and help", () => {
  test("an optional positional is returned", () => {
    assert.deepEqual(parse("--chain", "x", "out.json").positionals, ["out.json"]);
    assert.deepEqual(parse().positionals, []);
  });

  test("an extra positional is a usage error naming it", () => {
    throwsUsage(() => parse("a.json", "b.json"), "unexpected argument", '"b.json"');
    throwsUsage(() => parseArgs(WITH_REST, ["stray"]), '"stray"', "`parapipe outer --help`");
  });

  test("a missing required positional is a usage error naming it", () => {
    throwsUsage(() => parseArgs(REQUIRED, []), "missing argument <URI>");
    assert.deepEqual(parseArgs(REQUIRED, ["//Alice"]).positionals, ["//Alice"]);
    assert.deepEqual(parseArgs(REQUIRED, ["//Alice", "x"]).positionals, ["//Alice", "x"]);
  });

  test("`--` ends the flags: everything after it is returned unparsed as `rest`", () => {
    const a = parseArgs(WITH_REST, ["--collator", "--", "--chain", "local", "--unknown", "-x", "--"]);
    assert.equal(bool(a, "collator"), true);
    assert.deepEqual(a.rest, ["--chain", "local", "--unknown", "-x", "--"]);
    assert.deepEqual(parseArgs(WITH_REST, ["--"]).rest, []);
    assert.deepEqual(parseArgs(WITH_REST, []).rest, []);
  });

  test("`--` is a usage error for a command without trailing arguments", () => {
    throwsUsage(() => parse("--", "--chain", "x"), "`--`", "takes no trailing arguments");
  });

  test("`--help` and `-h` set `help` and skip the positional checks", () => {
    assert.equal(parse("--help").help, true);
    assert.equal(parse("-h").help, true);
    assert.equal(parse().help, false);
    assert.equal(parseArgs(REQUIRED, ["--help"]).help, true);
    assert.equal(parse("a", "b", "c", "-h").help, true);
  });

  test("`--help` after `--` belongs to the trailing arguments", () => {
    const a = parseArgs(WITH_REST, ["--", "--help"]);
    assert.equal(a.help, false);
    assert.deepEqual(a.rest, ["--help"]);
  });
});

describe("int", () => {
  const n = (...argv: string[]) => int(parse(...argv), "demo", "port", 30333, 1, 65535);

  test("an absent flag gives the fallback", () => {
    assert.equal(n(), 30333);
  });

  test("an integer within the range is returned, bounds included", () => {
    assert.equal(n("--port", "1"), 1);
    assert.equal(n("--port", "65535"), 65535);
    assert.equal(n("--port=0042"), 42);
  });

  test("an integer outside the range is a usage error naming the flag and the range", () => {
    throwsUsage(() => n("--port", "0"), "--port", "between 1 and 65535", "found 0");
    throwsUsage(() => n("--port", "65536"), "--port", "between 1 and 65535", "found 65536");
    throwsUsage(() => n("--port", "99999999999999999999999"), "--port", "between 1 and 65535");
  });

  test("a value that is not a non-negative integer is a usage error naming the flag and the value", () => {
    for (const v of ["-1", "1.5", "1e3", "0x10", "abc", "+5", " 5", "5 "])
      throwsUsage(() => n("--port", v), "--port", "takes an integer", `"${v}"`);
  });

  test("the error names the command it was given", () => {
    throwsUsage(() => int(parse("--port", "x"), "validator", "port", 1, 0, 9), "`parapipe validator --help`");
  });
});

describe("helpText", () => {
  const help = helpText(SPEC);

  test("shows the summary, usage with positionals, and description", () => {
    assert.ok(help.startsWith("A demo command\n"));
    assert.ok(help.includes("Usage: parapipe demo [OPTIONS] [OUTPUT]"), help);
    assert.ok(help.includes("Demo description."));
    assert.ok(helpText(REQUIRED).includes("Usage: parapipe needs [OPTIONS] <URI> [EXTRA]"));
    assert.ok(helpText(WITH_REST).includes("[-- <RELAY_CHAIN_ARGS>...]"));
    assert.ok(helpText(WITH_REST).includes("The inner node's flags"));
  });

  test("lists every flag that is not ignored, with its short alias, value name, choices and default", () => {
    for (const f of SPEC.flags.filter((f) => !f.ignored)) assert.ok(help.includes(`--${f.name}`), f.name);
    assert.ok(help.includes("-d, --base-path <PATH>"));
    assert.ok(help.includes("    --chain <CHAIN_SPEC>"));
    assert.ok(help.includes("    --offset <VALUE>"));
    assert.ok(help.includes("[possible values: auto, safe, unsafe]"));
    assert.ok(help.includes("[default: 30333]"));
    assert.ok(help.includes("-h, --help"));
  });

  test("lists ignored flags only under the compatibility heading", () => {
    const heading = "Accepted for compatibility with Substrate command lines, and ignored:";
    const at = help.indexOf(heading);
    assert.ok(at > 0, help);
    const [options, compat] = [help.slice(0, at), help.slice(at)];
    assert.ok(!options.includes("--execution"));
    assert.ok(!options.includes("--no-mdns"));
    assert.ok(compat.includes("--execution <VALUE>, --no-mdns"));
    assert.ok(!helpText(WITH_REST).includes(heading));
  });

  test("ends with a newline", () => {
    assert.ok(help.endsWith("\n"));
  });
});
