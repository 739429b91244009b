/**
 * Issue 4's crash claim: a collator killed with SIGKILL while its unincluded segment holds blocks restarts on
 * its database: the segment is reloaded, production resumes within two relay slots, no parablock is lost and
 * none is authored twice. Collator Alice runs as a child process (`collatorProcess.js`) on fixed ports; the
 * four validators and collator Bob run in the test process over loopback.
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { CollatorProcessOptions, CollatorStatusLine, SegmentLine } from "@parapipe/collator/bin";
import { chainSpecToJson, cryptoReady, findAuraSlot, toHex } from "@parapipe/primitives";
import { type ParaNetwork, startParaNetwork, waitFor } from "../utils/paraNetwork.js";
import { freePort, NodeProcess, ProcessRegistry } from "../utils/processes.js";

const SLOT_MS = 1000;
const ENTRY = fileURLToPath(import.meta.resolve("@parapipe/collator/bin"));

interface Ready {
  ready: true;
  peerId: string;
  addrs: string[];
  relayBest: number;
  segment: SegmentLine[];
}
type Collator = NodeProcess<Ready, CollatorStatusLine>;

const tcp = (addrs: string[]) => addrs.find((a) => a.includes("/tcp/") && !a.includes("/ws"))!;

describe("a collator killed with SIGKILL restarts on its database", { timeout: 180_000 }, () => {
  const procs = new ProcessRegistry();
  let net: ParaNetwork;
  let opts: CollatorProcessOptions;
  /** Every para block Bob imported (his own and Alice's): slot, number, hash. */
  const seen: Array<{ slot: bigint; number: number; hash: string }> = [];

  before(async () => {
    await cryptoReady();
    net = await startParaNetwork({ mode: "async", relaySlotMs: SLOT_MS, startCollators: ["Bob"] });
    const bob = net.collators[0]!;
    bob.importer.onImported(async (e) => {
      const header = await bob.chain.header(e.block.hash);
      const slot = header && findAuraSlot(bob.runtime.registry.createType("Header", header) as never);
      if (slot !== undefined && slot !== null) seen.push({ slot, number: e.block.number, hash: toHex(e.block.hash) });
    });
    const dir = await mkdtemp(join(tmpdir(), "parapipe-crash-"));
    procs.removeOnExit(dir);
    await writeFile(join(dir, "para.json"), JSON.stringify(chainSpecToJson(net.specs.para)));
    await writeFile(join(dir, "relay.json"), JSON.stringify(chainSpecToJson(net.specs.relay)));
    opts = {
      paraSpec: join(dir, "para.json"),
      relaySpec: join(dir, "relay.json"),
      basePath: join(dir, "alice"),
      key: "Alice",
      listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`],
      bootnodes: [tcp(bob.network.listenAddrs())],
      relayListen: [`/ip4/127.0.0.1/tcp/${await freePort()}`],
      relayBootnodes: net.validators.map((v) => tcp(v.network.listenAddrs())),
      statusIntervalMs: 100,
    };
  });
  after(async () => {
    await procs.killAll();
    await net?.close();
  });

  it("reloads the segment, resumes within two relay slots, loses no parablock and authors none twice", async (t) => {
    const v0 = net.validators[0]!;
    const bob = net.collators[0]!;
    let alice: Collator = NodeProcess.spawn("alice", ENTRY, opts, procs);
    await alice.waitReady(30_000);
    // Kill once the segment holds blocks, right after a status line (so the line is what was persisted).
    await waitFor(
      "Alice's segment to hold blocks in steady state (three parablocks included)",
      () => (alice.status?.segment.length ?? 0) >= 2 && (alice.status?.included ?? 0) >= 3,
      30 * SLOT_MS,
      () => JSON.stringify(alice.status ?? "no status"),
    );
    const atKill = alice.status!;
    assert.ok(await alice.kill("SIGKILL", 5000), "Alice did not die of SIGKILL");
    const includedAtKill = bob.relayView?.includedNumber ?? 0;
    const onChainAtKill = atKill.segment.filter((e) => e.status === "pendingAvailability");

    // One relay slot down, then restart on the same database and ports.
    await new Promise((r) => setTimeout(r, SLOT_MS));
    alice = NodeProcess.spawn("alice (restarted)", ENTRY, opts, procs);
    const ready = await alice.waitReady(30_000);
    const relayAtReady = v0.best.number;

    // The segment is reloaded: every block above what the relay chain had included at the kill.
    const reloaded = new Set(ready.segment.map((e) => e.hash));
    for (const e of atKill.segment.filter((x) => x.number > includedAtKill))
      assert.ok(
        reloaded.has(e.hash),
        `segment block #${e.number} ${e.hash} (${e.status}) was persisted before the kill but not reloaded; reloaded: ${JSON.stringify(ready.segment)}`,
      );

    // Production resumes within two relay slots of the restart.
    await waitFor(
      "the restarted Alice to build a parablock",
      () => (alice.status?.built ?? 0) > 0,
      10 * SLOT_MS,
      () =>
        `relay #${v0.best.number} (ready at #${relayAtReady}); Alice ${JSON.stringify(alice.status?.stats ?? "no status")}`,
    );
    const firstBuilt = alice.statuses.find((s) => s.status.built > 0)!;
    assert.ok(
      firstBuilt.status.relayBest - relayAtReady <= 2,
      `Alice built again at relay #${firstBuilt.status.relayBest}, ${firstBuilt.status.relayBest - relayAtReady} relay blocks after her restart at #${relayAtReady} (at most 2)`,
    );

    t.diagnostic(
      `killed with segment ${atKill.segment.map((e) => `#${e.number}:${e.status}`).join(",")} (included #${includedAtKill}); reloaded ${ready.segment.map((e) => `#${e.number}:${e.status}`).join(",")}; built again ${firstBuilt.status.relayBest - relayAtReady} relay blocks after restart`,
    );
    // Let the network run on, then check the chain.
    const target = v0.best.number + 6;
    await waitFor(
      "six more relay blocks",
      () => v0.best.number >= target,
      15 * SLOT_MS,
      () => `relay #${v0.best.number}`,
    );
    await waitFor(
      "Alice and Bob to agree on the finalized para block",
      () => alice.status?.finalized === bob.finalized.number && alice.status.finalized > includedAtKill,
      10 * SLOT_MS,
      () => `Alice finalized #${alice.status?.finalized}, Bob #${bob.finalized.number}`,
    );

    // No parablock lost: what was on chain (pending availability) at the kill is in the finalized chain.
    for (const e of onChainAtKill) {
      const h = await bob.chain.canonicalHash(e.number);
      assert.equal(
        h && toHex(h),
        e.hash,
        `block #${e.number} was pending availability at the kill but is not in the chain`,
      );
    }
    assert.ok(bob.finalized.number > includedAtKill + 3, `the para finalized only up to #${bob.finalized.number}`);

    // None authored twice: one block per (slot, height) among everything Bob imported.
    const bySlotHeight = new Map<string, Set<string>>();
    for (const b of seen) {
      const k = `${b.slot}/${b.number}`;
      bySlotHeight.set(k, (bySlotHeight.get(k) ?? new Set()).add(b.hash));
    }
    t.diagnostic(`${seen.length} para blocks imported by Bob, ${bySlotHeight.size} distinct (slot, height)`);
    for (const [k, hashes] of bySlotHeight)
      assert.equal(hashes.size, 1, `two different blocks for slot/height ${k}: ${[...hashes].join(", ")}`);
  });
});
