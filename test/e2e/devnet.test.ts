/**
 * `parapipe devnet` end to end: the validators and collators run as separate `parapipe` processes; the live
 * view shows relay blocks and included parablocks; SIGINT stops every child and frees every port (exit 0); a
 * child that dies is reported with the tail of its log.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type CliProcess, freeDevnetPorts, portFree, startCli } from "../utils/cli.js";
import { ProcessRegistry } from "../utils/processes.js";

const pidsOf = (out: string) =>
  [...out.matchAll(/^(alice|bob|charlie|dave|collator-\w+)\s+(\d+)\s/gm)].map((m) => ({
    name: m[1] as string,
    pid: Number(m[2]),
  }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("parapipe devnet", () => {
  const registry = new ProcessRegistry();
  after(() => registry.killAll());

  async function devnet(extra: string[]): Promise<{ p: CliProcess; ports: number[]; base: string }> {
    const b = await freeDevnetPorts();
    const base = mkdtempSync(join(tmpdir(), "parapipe-devnet-test-"));
    registry.removeOnExit(base);
    const p = startCli(registry, [
      "devnet",
      "--slot-ms",
      "1000",
      "--base-path",
      base,
      "--port",
      String(b.p2p),
      "--rpc-port",
      String(b.rpc),
      "--prometheus-port",
      String(b.prom),
      ...extra,
    ]);
    return { p, ports: b.all, base };
  }

  it("shows relay blocks and included parablocks; SIGINT stops every node and frees every port", {
    timeout: 120_000,
  }, async () => {
    const { p, ports } = await devnet([]);
    await p.waitForOutput((o) => pidsOf(o).length === 6, 20_000, "the six nodes started");
    const pids = pidsOf(p.stdout);
    assert.deepEqual(
      pids.map((x) => x.name),
      ["alice", "bob", "charlie", "dave", "collator-alice", "collator-bob"],
    );
    assert.match(p.stdout, /ws:\/\/127\.0\.0\.1:\d+/);
    assert.match(p.stdout, /http:\/\/127\.0\.0\.1:\d+\/metrics/);
    // The live view: relay blocks advancing, then parablocks included.
    await p.waitForOutput((o) => /^relay #3 /m.test(o), 40_000, "relay block #3 in the live view");
    await p.waitForOutput((o) => /included para #[2-9]\d* @relay #\d+/.test(o), 60_000, "an included parablock >= #2");
    assert.ok(await p.kill("SIGINT", 30_000), "the devnet stops on SIGINT");
    assert.equal(p.exit?.code, 0, p.stdout.slice(-2000));
    assert.match(p.stdout, /stopped 6 nodes/);
    for (const { name, pid } of pids) assert.equal(alive(pid), false, `${name} (pid ${pid}) still running`);
    for (const port of ports) assert.ok(await portFree(port), `port ${port} still bound`);
  });

  it("reports a node that dies with the tail of its log", { timeout: 60_000 }, async () => {
    const { p, base } = await devnet(["--validators", "2", "--collators", "2"]);
    await p.waitForOutput((o) => pidsOf(o).length === 4, 20_000, "the four nodes started");
    const bob = pidsOf(p.stdout).find((x) => x.name === "collator-bob");
    assert.ok(bob);
    await p.waitForOutput((o) => /^relay #\d+ /m.test(o), 30_000, "the live view");
    // A loaded machine may still be loading the node's code: kill it once it has logged a few lines.
    const log = join(base, "collator-bob.log");
    const lines = () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0);
    for (const until = Date.now() + 30_000; lines() < 5 && Date.now() < until; )
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(lines() >= 5, `collator-bob logged ${lines()} lines in 30 s`);
    process.kill(bob.pid, "SIGKILL");
    await p.waitForOutput((o) => o.includes("✖ collator-bob exited (SIGKILL)"), 10_000, "the death reported");
    await p.waitForOutput((o) => /✖ collator-bob exited[^\n]*\n(\s+│ .*\n){3,}/.test(o), 5000, "the log tail");
    assert.ok(p.alive, "the devnet keeps running with the other collator");
    assert.ok(await p.kill("SIGTERM", 30_000));
    assert.equal(p.exit?.code, 1, "a devnet that lost a node exits non-zero");
  });
});
