/**
 * Fault suite, partition at the kernel level: the scenario of `partition.test.ts` with every node a `parapipe`
 * process in a network namespace of its own (`isolation: "netns"`), and the cut made by nftables drop rules on the
 * bridge between them, so the isolated validator's packets vanish as in a real partition (nothing in the node
 * knows). One of four validators is cut off for longer than the finality and availability windows; the other three
 * keep authoring, finalizing (3 of 4 votes is more than two thirds) and including parablocks; after healing, the
 * cut-off node catches up within 10 slots and finality goes on. Then `close()` leaves no namespace, veth, nft
 * table or process. Skipped, with the reason, where namespaces are not available (not root, no `ip` or `nft`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import {
  bestBlock,
  finalizedBlock,
  includedParaHead,
  netnsAvailable,
  startNetwork,
  type TestNetwork,
} from "@parapipe/harness";

// 2 s slots: catching up is CPU-bound (importing the missed relay blocks) on a 2-core machine; claims are in slots.
const SLOT_MS = 2000;
/** The dev relay spec's availability period, in relay blocks (a candidate times out after it). */
const AVAILABILITY_PERIOD = 10;

const available = netnsAvailable();
const skip = available.ok ? false : `network namespaces unavailable: ${available.reason}`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8" });

describe("fault suite: a validator cut off by nftables between namespaces", { skip, timeout: 150_000 }, () => {
  let net: TestNetwork;

  before(async () => {
    net = await startNetwork({
      mode: "async",
      relaySlotMs: SLOT_MS,
      validators: 4,
      collators: 1,
      processes: true,
      isolation: "netns",
    });
  });
  after(() => net?.close());

  it("every node runs in its own namespace, on its own address, reachable from the test", async () => {
    const netns = net.netns;
    assert.ok(netns, "net.netns is set");
    const addresses = new Set<string>();
    for (const n of net.nodes()) {
      const place = netns.node(n.name);
      addresses.add(place.address);
      assert.ok(n.multiaddr.startsWith(`/ip4/${place.address}/tcp/`), `${n.name}: ${n.multiaddr}`);
      // The process is the node itself (`ip netns exec` execs in place), inside the node's namespace.
      const ns = sh("ip", ["netns", "identify", String(n.pid)]).stdout.trim();
      assert.equal(ns, place.namespace, `${n.name} (pid ${n.pid}) runs in ${ns || "the root namespace"}`);
      assert.ok((await n.metrics()).size > 0, `${n.name}: Prometheus reachable at ${place.address}`);
    }
    assert.equal(addresses.size, net.nodes().length, "one address per node");
  });

  it("the chain, finality and inclusion continue without it, and it catches up within 10 slots of healing", async (t) => {
    await net.waitFor.paraIncluded(1, { timeoutMs: 40_000 });
    const [alice, , , dave] = net.validators;
    assert.ok(alice && dave && net.netns);

    await dave.isolate();
    const cutAt = {
      daveFinalized: (await finalizedBlock(dave.rpc)).number,
      finalized: (await finalizedBlock(alice.rpc)).number,
      included: (await includedParaHead(alice.rpc, net.paraId)).included ?? 0,
    };
    // Parablocks keep being included by the three...
    await net.waitFor.paraIncluded(cutAt.included + 2, { on: alice, timeoutMs: 20 * SLOT_MS });
    // ...for longer than the availability window, and finality advances as far without dave's votes.
    const target = cutAt.finalized + AVAILABILITY_PERIOD + 2;
    const finalized = await net.waitFor.relayFinalized(target, {
      on: alice,
      timeoutMs: (AVAILABILITY_PERIOD + 12) * SLOT_MS * 2,
    });
    assert.ok(finalized.number >= target);
    // Alone, dave cannot finalize (1 vote of 4); a vote already in flight may finalize one more block.
    const daveFinalized = (await finalizedBlock(dave.rpc)).number;
    assert.ok(
      daveFinalized <= cutAt.daveFinalized + 1,
      `dave finalized while cut off: #${daveFinalized}, was #${cutAt.daveFinalized}`,
    );
    const dropped = await net.netns.droppedPackets();
    assert.ok(dropped > 0, "the nftables rules dropped packets");
    t.diagnostic(
      `cut at relay finalized #${cutAt.finalized}, para included #${cutAt.included}; healed at finalized #${finalized.number}, dave best #${(await bestBlock(dave.rpc)).number}, dave finalized #${daveFinalized}; ${dropped} packets dropped`,
    );

    await dave.heal();
    const healedAt = { best: await bestBlock(alice.rpc), at: Date.now() };
    await net.waitFor.condition(
      `dave imports the others' relay #${healedAt.best.number} and follows their chain`,
      async () => {
        const header = await dave.rpc.call<unknown>("chain_getHeader", [healedAt.best.hash]);
        const [best, fin, health] = await Promise.all([
          bestBlock(dave.rpc),
          finalizedBlock(dave.rpc),
          dave.rpc.call<{ peers: number }>("system_health"),
        ]);
        const has = header !== null;
        return {
          done: has && best.number >= healedAt.best.number,
          observed: `dave best #${best.number}, finalized #${fin.number}, has it: ${has}, peers ${health.peers}`,
        };
      },
      { timeoutMs: 10 * SLOT_MS, intervalMs: 250 },
    );
    const caughtUpMs = Date.now() - healedAt.at;
    assert.ok(caughtUpMs <= 10 * SLOT_MS, `caught up in ${caughtUpMs} ms`);
    t.diagnostic(`dave caught up with relay #${healedAt.best.number} in ${caughtUpMs} ms`);
    // Finality goes on with all four, and dave follows it.
    const next = (await finalizedBlock(alice.rpc)).number + 3;
    await net.waitFor.relayFinalized(next, { on: dave, timeoutMs: 15 * SLOT_MS });
  });

  it("close() leaves no namespace, veth, nft table or process", async () => {
    const netns = net.netns;
    assert.ok(netns);
    const pids = net.nodes().flatMap((n) => (n.pid === undefined ? [] : [n.pid]));
    assert.equal(pids.length, 5);
    await net.close();
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still running`);
    const namespaces = sh("ip", ["netns", "list"]).stdout;
    assert.ok(!namespaces.split("\n").some((l) => l.startsWith(netns.names.nsPrefix)), namespaces);
    assert.notEqual(sh("ip", ["link", "show", netns.names.hostLink]).status, 0, `${netns.names.hostLink} remains`);
    const tables = sh("nft", ["list", "tables"]).stdout;
    assert.ok(!tables.includes(netns.names.table), tables);
  });
});
