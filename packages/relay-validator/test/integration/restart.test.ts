import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateNodeKey, nodeKeyToHex, peerIdOf } from "@parapipe/network";
import { chainSpecToJson, cryptoReady } from "@parapipe/primitives";
import type { ValidatorProcessOptions } from "../../src/bin/validatorProcess.js";
import { relaySpec, waitFor } from "../utils/network.js";
import { freePort, ProcessRegistry, ValidatorProcess } from "../utils/processes.js";

const SLOT_MS = 1000;
const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];
/** The validator killed and restarted: not node 0, the first node everyone else dialled. */
const VICTIM = 3;

describe("One of 4 validators is killed (SIGKILL): the chain and finality go on; restarted on its database, it catches up from its peers and authors again", () => {
  const registry = new ProcessRegistry();
  const procs: ValidatorProcess[] = [];
  const opts: ValidatorProcessOptions[] = [];
  let root: string | undefined;

  const observe = () => procs.map((p) => p.describe()).join("; ");
  const others = () => procs.filter((_, i) => i !== VICTIM);
  const best = (p: ValidatorProcess) => p.status?.best ?? -1;
  const finalized = (p: ValidatorProcess) => p.status?.finalized ?? -1;

  before(async () => {
    await cryptoReady();
    root = await mkdtemp(join(tmpdir(), "parapipe-restart-"));
    registry.removeOnExit(root);
    const specPath = join(root, "spec.json");
    await writeFile(
      specPath,
      JSON.stringify(chainSpecToJson(relaySpec({ validators: VALIDATORS, slotMs: SLOT_MS, mode: "async" }))),
    );
    // Fixed ports and node keys: the restarted validator comes back at the same address with the same PeerId.
    const addrs: string[] = [];
    for (const [i, name] of VALIDATORS.entries()) {
      const nodeKey = generateNodeKey();
      const port = await freePort();
      const basePath = join(root, name.toLowerCase());
      await mkdir(basePath);
      // Each validator dials all those started before it: a full mesh, so losing one leaves the rest connected.
      opts.push({
        spec: specPath,
        basePath,
        key: name,
        listen: [`/ip4/127.0.0.1/tcp/${port}`],
        bootnodes: addrs.slice(0, i),
        nodeKey: nodeKeyToHex(nodeKey),
      });
      addrs.push(`/ip4/127.0.0.1/tcp/${port}/p2p/${await peerIdOf(nodeKey)}`);
    }
    for (const [i, name] of VALIDATORS.entries()) {
      const p = ValidatorProcess.spawn(name, opts[i]!, registry);
      procs.push(p);
      const ready = await p.waitReady(30_000);
      assert.equal(ready.addrs.length > 0 && addrs[i]!.endsWith(ready.peerId), true, `${name} has its fixed PeerId`);
    }
  });

  after(async () => {
    // Kills every child (also those of a failed start) and removes the temp dir.
    await registry.killAll();
  });

  it("keeps finalizing with 3 of 4, and the restarted validator catches up and authors again", async () => {
    const t0 = Date.now();
    const lap = (what: string) => console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what} (${observe()})`);
    await waitFor("every validator finalizing", () => procs.every((p) => finalized(p) >= 3), 40 * SLOT_MS, observe);
    lap("all 4 finalize");

    // SIGKILL: no close(), no flush; the database is left as the crash left it.
    const victim = procs[VICTIM]!;
    const lastSeen = { best: best(victim), finalized: finalized(victim) };
    process.kill(victim.pid!, "SIGKILL");
    assert.ok(await victim.waitExit(5000), `${victim.name} did not die: ${observe()}`);
    assert.equal(victim.exit?.signal, "SIGKILL");
    lap(`${victim.name} killed at #${lastSeen.best}/f#${lastSeen.finalized}`);

    // 3 of 4 is above the 2/3 finality threshold: blocks and finality go on (the dead validator's slots are
    // missed: 3 blocks per 4 slots).
    const base = { best: Math.max(...others().map(best)), finalized: Math.min(...others().map(finalized)) };
    await waitFor(
      "the other 3 six blocks further and finalizing",
      () => others().every((p) => best(p) >= base.best + 6 && finalized(p) >= base.finalized + 5),
      14 * SLOT_MS,
      () => `${observe()} (from #${base.best}/f#${base.finalized})`,
    );
    lap("the other 3 went on");

    // Restart on the same base path, node key and port.
    const restarted = ValidatorProcess.spawn(victim.name, opts[VICTIM]!, registry);
    procs[VICTIM] = restarted;
    const ready = await restarted.waitReady(30_000);
    lap(`${victim.name} restarted at #${ready.best}/f#${ready.finalized}`);
    // Its database reopened (a genesis mismatch would have failed the start) with the blocks it had.
    assert.ok(
      ready.best >= lastSeen.finalized && ready.finalized >= Math.min(lastSeen.finalized, 1),
      `restarted at #${ready.best}/f#${ready.finalized}, but it had #${lastSeen.best}/f#${lastSeen.finalized} before the kill`,
    );
    const target = { best: Math.max(...others().map(best)), finalized: Math.min(...others().map(finalized)) };
    assert.ok(
      target.best > ready.best,
      `the others (#${target.best}) are ahead of the restarted node (#${ready.best})`,
    );

    // It syncs by range from its peers: gossiped blocks with an unknown parent trigger `syncFrom`.
    await waitFor(
      `${victim.name} catching up to #${target.best} and finalizing past f#${target.finalized}`,
      () => best(restarted) >= target.best && finalized(restarted) >= target.finalized,
      20 * SLOT_MS,
      () =>
        `${observe()}; stderr of ${victim.name}: ${restarted.stderrTail()}. ` +
        "If it stays at its restart height, nothing triggers a sync: `RelayValidatorNode.syncFrom` only runs " +
        "when a gossiped block has an unknown parent",
    );
    lap(`${victim.name} caught up`);
    const lag = Math.max(...others().map(best)) - best(restarted);
    assert.ok(lag <= 2, `${victim.name} is ${lag} blocks behind after catching up: ${observe()}`);

    // ... and authors again in its slots, on the chain the others follow.
    const authored = restarted.status!.authored;
    const finalizedBefore = Math.min(...procs.map(finalized));
    await waitFor(
      `${victim.name} authoring a block after catching up, and all 4 finalizing`,
      () => restarted.status!.authored > authored && procs.every((p) => finalized(p) >= finalizedBefore + 4),
      12 * SLOT_MS,
      () => `${observe()} (authored ${authored} when caught up, finalized f#${finalizedBefore})`,
    );
    lap(`${victim.name} authored again`);
    for (const p of procs) assert.ok(p.alive, `${p.name} still running: ${observe()}`);
  });
});
