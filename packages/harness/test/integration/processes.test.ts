/**
 * The harness with `processes: true`: 4 validators and 2 collators as `parapipe` processes on loopback. Parablocks
 * are included; a collator killed with SIGKILL and restarted on the same base path resumes its database and builds
 * again; `close()` leaves no process, no bound port and no temp dir behind.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { bestBlock, portFree, startNetwork, type TestNetwork } from "@parapipe/harness";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a network of parapipe processes (4 validators, 2 collators)", { timeout: 120_000 }, () => {
  let net: TestNetwork;
  /** Every pid the network had, restarted ones included. */
  const pids = new Set<number>();
  const notePids = () => {
    for (const n of net.nodes()) if (n.pid !== undefined) pids.add(n.pid);
  };

  before(async () => {
    net = await startNetwork({ mode: "async", relaySlotMs: 1000, validators: 4, collators: 2, processes: true });
    notePids();
  });
  after(() => net?.close());

  it("includes parablocks", async () => {
    assert.equal(pids.size, 6, "one process per node");
    const { included } = await net.waitFor.paraIncluded(2);
    assert.ok(included >= 2);
    const m = await net.collators[0]!.metrics();
    assert.ok((m.get("parapipe_collator_candidates_built_total") ?? 0) > 0, "collator-alice built parablocks");
  });

  it("a collator killed with SIGKILL restarts on its database and builds again", async () => {
    const alice = net.collators[0]!;
    const atKill = await bestBlock(alice.rpc);
    const pid = alice.pid!;
    await alice.kill();
    assert.equal(alive(pid), false, "the SIGKILLed process is gone");
    assert.equal(alice.running, false);

    await alice.restart();
    notePids();
    assert.notEqual(alice.pid, pid, "a new process");
    const resumed = await bestBlock(alice.rpc);
    assert.ok(
      resumed.number >= atKill.number,
      `restarted at para #${resumed.number}, below #${atKill.number} it had at the kill: the database was not reused`,
    );
    // A fresh process counts from zero: a built parablock is one built after the restart.
    await net.waitFor.condition("the restarted collator-alice to build a parablock", async () => {
      const built = (await alice.metrics()).get("parapipe_collator_candidates_built_total") ?? 0;
      return { done: built > 0, observed: `built ${built} since the restart` };
    });
    await net.waitFor.paraIncluded(atKill.number + 1);
  });

  it("close() leaves no process, port or directory", async () => {
    const ports = net.nodes().flatMap((n) => Object.values(n.ports) as number[]);
    const dir = net.baseDir;
    await net.close();
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still running`);
    for (const port of ports) assert.ok(await portFree(port), `port ${port} still bound`);
    assert.equal(existsSync(dir), false, `${dir} still exists`);
  });
});
