/**
 * What Zombienet (native provider) does with a node binary, done by hand: `build-spec` then `build-spec --raw`
 * on the edited plain spec, keystore files in its format, its exact relay command line (ecosystem.md §3.2:
 * `--listen-addr .../ws`, the no-op flags, no dev key flag), then its readiness check
 * (`substrate_process_start_time_seconds` on /metrics) and a block height assertion.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseMetricsText } from "@parapipe/cli";
import { cryptoReady, devKeypair, toHex } from "@parapipe/primitives";
import { runCli, startCli } from "../utils/cli.js";
import { freePort, ProcessRegistry } from "../utils/processes.js";

describe("a Zombienet-style launch", () => {
  const registry = new ProcessRegistry();
  after(() => registry.killAll());

  it("runs a validator from a raw spec with keys from the keystore and Zombienet's flags", {
    timeout: 90_000,
  }, async () => {
    await cryptoReady();
    const dir = mkdtempSync(join(tmpdir(), "parapipe-zombienet-"));
    registry.removeOnExit(dir);
    // One validator (Alice) is enough to author; Zombienet edits the plain spec before making it raw.
    const plain = JSON.parse(
      (await runCli(registry, ["build-spec", "--chain", "dev", "--disable-default-bootnode"])).stdout,
    );
    plain.genesis.runtimeGenesis.patch.session.keys = plain.genesis.runtimeGenesis.patch.session.keys.slice(0, 1);
    writeFileSync(join(dir, "plain.json"), JSON.stringify(plain));
    const raw = await runCli(registry, [
      "build-spec",
      "--chain",
      join(dir, "plain.json"),
      "--disable-default-bootnode",
      "--raw",
    ]);
    assert.equal(raw.code, 0, raw.stderr);
    writeFileSync(join(dir, "raw.json"), raw.stdout);
    assert.ok(JSON.parse(raw.stdout).genesis.raw.top);

    // Zombienet's keystore: <base>/chains/<id>/keystore/<hex key type><hex public key>, content "\"//Alice\"".
    const keystore = join(dir, "alice", "data", "chains", plain.id, "keystore");
    mkdirSync(keystore, { recursive: true });
    const pk = toHex(devKeypair("Alice").publicKey).slice(2);
    for (const type of ["aura", "babe", "para", "asgn"])
      writeFileSync(join(keystore, `${Buffer.from(type).toString("hex")}${pk}`), JSON.stringify("//Alice"));

    const [p2p, rpc, prom] = [await freePort(), await freePort(), await freePort()];
    const nodeKey = createHash("sha256").update("alice").digest("hex");
    const node = startCli(registry, [
      "validator",
      "--chain",
      join(dir, "raw.json"),
      "--name",
      "alice",
      "--rpc-cors",
      "all",
      "--rpc-methods",
      "unsafe",
      "--no-mdns",
      "--node-key",
      nodeKey,
      "--no-telemetry",
      "--prometheus-external",
      "--validator",
      "--insecure-validator-i-know-what-i-do",
      "--prometheus-port",
      String(prom),
      "--rpc-port",
      String(rpc),
      "--listen-addr",
      `/ip4/127.0.0.1/tcp/${p2p}/ws`,
      "--base-path",
      join(dir, "alice", "data"),
    ]);

    // Zombienet's readiness: the metric, then `block height is at least 2`.
    let metrics: Map<string, number> | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      assert.ok(node.alive, `node exited: ${node.stderr}${node.stdout.slice(-3000)}`);
      const res = await fetch(`http://127.0.0.1:${prom}/metrics`).catch(() => undefined);
      metrics = res?.ok ? parseMetricsText(await res.text()) : undefined;
      if ((metrics?.get('substrate_block_height{status="best"}') ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok((metrics?.get("substrate_process_start_time_seconds") ?? 0) >= 1, "substrate_process_start_time_seconds");
    assert.equal(metrics?.get("substrate_node_roles"), 4, "an authority");
    assert.ok((metrics?.get('substrate_block_height{status="best"}') ?? 0) >= 2, "authors blocks");
    assert.match(node.stdout, /Role: AUTHORITY/);
    assert.match(node.stdout, /Listening for new connections on \/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3KooW/);
    const health = await fetch(`http://127.0.0.1:${rpc}/health`);
    assert.equal(health.status, 200);
    assert.ok(await node.kill("SIGTERM", 15_000));
    assert.equal(node.exit?.code, 0);
  });
});
