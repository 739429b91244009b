/**
 * `--rpc-methods` and `--rpc-external` on a running node: unsafe methods (the keystore's `author_insertKey`,
 * `author_rotateKeys`, `system_peers`) are refused on a public interface by default, served on loopback
 * (`auto`) and with `--rpc-methods unsafe`, and what `author_insertKey` stores is the node's keystore.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type CliProcess, startCli } from "../utils/cli.js";
import { freePort, ProcessRegistry } from "../utils/processes.js";

interface Answer {
  result?: unknown;
  error?: { code: number; message: string };
}

async function call(port: number, method: string, params: unknown[] = []): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await res.json()) as Answer;
}

describe("RPC method safety", () => {
  const registry = new ProcessRegistry();
  after(() => registry.killAll());

  async function node(extra: string[]): Promise<{ p: CliProcess; rpc: number; base: string }> {
    const base = mkdtempSync(join(tmpdir(), "parapipe-rpc-"));
    registry.removeOnExit(base);
    const [p2p, rpc, prom] = [await freePort(), await freePort(), await freePort()];
    const p = startCli(registry, [
      "validator",
      "--chain",
      "dev",
      "--base-path",
      base,
      "--listen-addr",
      `/ip4/127.0.0.1/tcp/${p2p}`,
      "--rpc-port",
      String(rpc),
      "--prometheus-port",
      String(prom),
      ...extra,
    ]);
    await p.waitForOutput((o) => o.includes("Listening for new connections"), 30_000, "node started");
    return { p, rpc, base };
  }

  it("refuses unsafe methods on a public interface by default, serves them on loopback", {
    timeout: 90_000,
  }, async () => {
    const pub = await node(["--rpc-external"]);
    for (const [method, params] of [
      ["author_insertKey", ["aura", "//Ferdie", "0x1cbd2d43530a44705ad088af313e18f80b53ef16b36177cd4b77b846f2a5f07c"]],
      ["author_rotateKeys", []],
      ["system_peers", []],
    ] as const) {
      const a = await call(pub.rpc, method, [...params]);
      assert.equal(a.error?.code, -32601, `${method}: ${JSON.stringify(a)}`);
      assert.match(a.error?.message ?? "", /unsafe/);
    }
    // Safe methods are served.
    assert.equal((await call(pub.rpc, "system_name")).result, "parapipe");
    assert.ok(await pub.p.kill("SIGTERM", 15_000));

    const local = await node([]);
    const ferdie = "0x1cbd2d43530a44705ad088af313e18f80b53ef16b36177cd4b77b846f2a5f07c";
    assert.equal((await call(local.rpc, "author_insertKey", ["aura", "//Ferdie", ferdie])).result, null);
    assert.equal((await call(local.rpc, "author_hasKey", [ferdie, "aura"])).result, true);
    assert.equal((await call(local.rpc, "author_hasKey", [ferdie, "babe"])).result, false);
    const wrong = await call(local.rpc, "author_insertKey", ["aura", "//Eve", ferdie]);
    assert.ok(wrong.error, "a secret that does not give the public key is refused");
    const rotated = (await call(local.rpc, "author_rotateKeys")).result as string;
    assert.match(rotated, /^0x[0-9a-f]{64}$/);
    assert.equal((await call(local.rpc, "author_hasSessionKeys", [rotated])).result, true);
    const keystore = join(local.base, "chains", "parapipe_relay_dev", "keystore");
    assert.ok(existsSync(keystore));
    assert.equal(readdirSync(keystore).length, 2, "Ferdie's key and the rotated one");
    assert.ok(Array.isArray((await call(local.rpc, "system_peers")).result));
    assert.ok(await local.p.kill("SIGTERM", 15_000));

    const unsafe = await node(["--rpc-external", "--rpc-methods", "unsafe"]);
    assert.ok(Array.isArray((await call(unsafe.rpc, "system_peers")).result));
    assert.ok(await unsafe.p.kill("SIGTERM", 15_000));
  });
});
