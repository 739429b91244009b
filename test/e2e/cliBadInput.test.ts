/**
 * The `parapipe` binary on bad input: bad flags, a missing or malformed chain spec, a port already in use, an
 * unwritable base path, a database from another chain. Each must be one clear line on stderr and a non-zero
 * exit, without a stack trace unless `--log debug`; and a node that did start stops cleanly on SIGINT.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, startCli } from "../utils/cli.js";
import { freePort, ProcessRegistry } from "../utils/processes.js";

/** stderr is exactly one `Error: ...` line, without a stack. */
function assertOneLineError(r: { code: number | null; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, found:\n${r.stderr}`);
  assert.match(lines[0] as string, /^Error: /);
  assert.match(lines[0] as string, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

async function occupy(port: number): Promise<Server> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(port, "127.0.0.1", resolve));
  return s;
}

describe("parapipe on bad input", () => {
  const registry = new ProcessRegistry();
  let dir: string;
  const ports = async () => ({ p2p: await freePort(), rpc: await freePort(), prom: await freePort() });
  const nodeArgs = (p: { p2p: number; rpc: number; prom: number }) => [
    "--listen-addr",
    `/ip4/127.0.0.1/tcp/${p.p2p}`,
    "--rpc-port",
    String(p.rpc),
    "--prometheus-port",
    String(p.prom),
  ];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "parapipe-cli-"));
    registry.removeOnExit(dir);
  });
  after(() => registry.killAll());

  it("an unknown flag, a bad value or an unknown command is a usage error (exit 2)", async () => {
    assertOneLineError(await runCli(registry, ["validator", "--bogus"]), 2, /unknown flag --bogus/);
    assertOneLineError(await runCli(registry, ["validator", "--rpc-port", "http"]), 2, /--rpc-port takes an integer/);
    assertOneLineError(
      await runCli(registry, ["validator", "--rpc-methods", "all"]),
      2,
      /--rpc-methods takes one of auto, safe, unsafe/,
    );
    assertOneLineError(await runCli(registry, ["validator", "--alice", "--bob"]), 2, /one dev key flag/);
    assertOneLineError(await runCli(registry, ["collator", "--", "--bogus"]), 2, /unknown flag --bogus/);
    assertOneLineError(await runCli(registry, ["frobnicate"]), 2, /unknown command "frobnicate"/);
    assertOneLineError(
      await runCli(registry, ["devnet", "--validators", "9"]),
      2,
      /--validators must be between 2 and 6/,
    );
  });

  it("every command answers --help (exit 0) with its flags", async () => {
    for (const cmd of [
      ["validator"],
      ["collator"],
      ["devnet"],
      ["build-spec"],
      ["export-genesis-head"],
      ["export-genesis-wasm"],
      ["key"],
      ["key", "generate"],
      ["key", "inspect"],
      ["key", "insert"],
      ["key", "generate-node-key"],
      ["key", "inspect-node-key"],
      ["purge-chain"],
    ]) {
      const r = await runCli(registry, [...cmd, "--help"]);
      assert.equal(r.code, 0, `${cmd.join(" ")} --help: ${r.stderr}`);
      assert.match(r.stdout, /Usage: parapipe/, cmd.join(" "));
    }
    const top = await runCli(registry, ["--help"]);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /export-genesis-head/, "Zombienet's probe for a V3 parachain CLI");
  });

  it("a missing chain spec, text that is not JSON and a spec with a bad field are refused, the field named", async () => {
    assertOneLineError(
      await runCli(registry, ["validator", "--tmp", "--chain", join(dir, "nope.json")]),
      1,
      /neither a built-in chain .* nor a file/,
    );
    const notJson = join(dir, "not.json");
    writeFileSync(notJson, "{ this is not json");
    assertOneLineError(await runCli(registry, ["build-spec", "--chain", notJson]), 1, /not valid JSON/);
    const spec = JSON.parse((await runCli(registry, ["build-spec", "--chain", "dev"])).stdout);
    spec.genesis.runtimeGenesis.patch.configuration.config.asyncBackingParams.maxCandidateDepth = "three";
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify(spec));
    assertOneLineError(await runCli(registry, ["validator", "--tmp", "--chain", bad]), 1, /maxCandidateDepth/);
    assertOneLineError(
      await runCli(registry, ["collator", "--tmp", "--chain", "dev"]),
      1,
      /relay chain spec; a collator takes a parachain spec/,
    );
  });

  it("a port already in use: p2p, RPC and Prometheus, each named", async () => {
    for (const which of ["p2p", "rpc", "prom"] as const) {
      const p = await ports();
      const held = await occupy(p[which]);
      try {
        const r = await runCli(registry, ["validator", "--chain", "dev", "--tmp", "--alice", ...nodeArgs(p)]);
        const what = { p2p: "p2p port", rpc: "RPC port", prom: "Prometheus port" }[which];
        assertOneLineError(r, 1, new RegExp(`${what} ${p[which]} .*already in use`));
      } finally {
        held.close();
      }
    }
  });

  it("an unwritable base path is refused before anything starts", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    assertOneLineError(
      await runCli(registry, ["validator", "--chain", "dev", "--base-path", join(file, "base")]),
      1,
      /cannot create the base path/,
    );
  });

  it("a database of another chain (same id, other genesis) is refused; SIGINT stops a node with exit 0", {
    timeout: 60_000,
  }, async () => {
    const base = join(dir, "node");
    const p = await ports();
    const node = startCli(registry, ["validator", "--chain", "dev", "--base-path", base, "--alice", ...nodeArgs(p)]);
    await node.waitForOutput((o) => o.includes("Listening for new connections"), 30_000, "node started");
    assert.ok(await node.kill("SIGINT", 15_000), "stopped on SIGINT");
    assert.equal(node.exit?.code, 0, `${JSON.stringify(node.exit)}\n${node.stderr}`);
    // The ports are free again.
    for (const port of [p.p2p, p.rpc, p.prom]) (await occupy(port)).close();

    const spec = JSON.parse((await runCli(registry, ["build-spec", "--chain", "dev"])).stdout);
    spec.genesis.runtimeGenesis.patch.balances.balances[0][1] = "2000000000000000000000";
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify(spec));
    const r = await runCli(registry, ["validator", "--chain", other, "--base-path", base, "--alice", ...nodeArgs(p)]);
    assertOneLineError(r, 1, /genesis/i);
    // Nothing was lost: the original chain still opens.
    const again = startCli(registry, ["validator", "--chain", "dev", "--base-path", base, "--alice", ...nodeArgs(p)]);
    await again.waitForOutput(
      (o) => o.includes("Listening for new connections"),
      30_000,
      "node restarted on its database",
    );
    assert.ok(await again.kill("SIGTERM", 15_000));
    assert.equal(again.exit?.code, 0, JSON.stringify(again.exit));
  });

  it("SIGINT while the node is still starting closes what it opened and exits 0", { timeout: 60_000 }, async () => {
    const p = await ports();
    const node = startCli(registry, ["validator", "--chain", "dev", "--tmp", "--alice", ...nodeArgs(p)]);
    // The database line comes before the ports, the database and the network are open.
    await node.waitForOutput((o) => o.includes("Database: LevelDb"), 30_000, "node starting");
    assert.ok(await node.kill("SIGINT", 15_000), "stopped on SIGINT");
    assert.equal(node.exit?.code, 0, `${JSON.stringify(node.exit)}\n${node.stderr}`);
    assert.match(node.stdout, /Shutting down/);
    for (const port of [p.p2p, p.rpc, p.prom]) (await occupy(port)).close();
  });

  it("--log debug adds the stack trace", async () => {
    const r = await runCli(registry, ["validator", "--tmp", "--chain", join(dir, "nope.json"), "--log", "debug"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: /);
    assert.match(r.stderr, /\n\s+at /);
  });

  it("build-spec --raw and export-genesis-head agree with the relay's registration", async () => {
    const raw = JSON.parse((await runCli(registry, ["build-spec", "--chain", "local", "--raw"])).stdout);
    assert.ok(raw.genesis.raw.top, "a raw spec");
    const head = (await runCli(registry, ["export-genesis-head", "--chain", "para-local"])).stdout.trim();
    const plain = JSON.parse(readFileSync(new URL("../../../chain-spec/local.json", import.meta.url), "utf8"));
    const registered = plain.genesis.runtimeGenesis.patch.paras.paras[0][1].genesisHead;
    assert.equal(head, registered);
  });
});
