/**
 * `handle.isolate()` / `heal()` and `net.cut()` / `restore()` without namespaces: in-process networks with
 * `faults` act on every libp2p host of the node (a collator's para and embedded relay networks), and `heal()`
 * also lifts the cuts other nodes hold against the healed one; without `faults` the calls refuse with
 * `ISOLATION_UNAVAILABLE`. (The netns variant: `partitionNetns.test.ts`.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HarnessError, startNetwork } from "@parapipe/harness";

describe("isolate() and cut() in-process", { timeout: 60_000 }, () => {
  it("with faults, they set and clear the nodes' NetworkFaults on both sides", async () => {
    const net = await startNetwork({ mode: "async", relaySlotMs: 1000, validators: 2, collators: 1, faults: true });
    try {
      const [alice, bob] = net.validators;
      const col = net.collators[0];
      assert.ok(alice?.node && bob?.node && col?.node);
      const fa = alice.node.network.faults;
      const fb = bob.node.network.faults;
      const para = col.node.network.faults;
      const relay = col.node.relay.network.faults;
      assert.ok(fa && fb && para && relay, "every host has fault injection");

      await alice.isolate();
      assert.equal(fa.stats().isolated, true);
      await alice.heal();
      assert.equal(fa.stats().isolated, false);

      await col.isolate();
      assert.ok(para.stats().isolated && relay.stats().isolated, "both of the collator's networks are cut off");
      await col.heal();
      assert.ok(!para.stats().isolated && !relay.stats().isolated);

      await net.cut(bob, col);
      assert.deepEqual(fb.stats().cutPeers.sort(), [col.peerId, col.relayPeerId].sort());
      assert.deepEqual(relay.stats().cutPeers, [bob.peerId]);
      assert.deepEqual(fa.stats().cutPeers, [], "alice is not involved");
      await col.heal();
      assert.deepEqual(fb.stats().cutPeers, [], "healing the collator lifts bob's cut of it too");
      assert.deepEqual(relay.stats().cutPeers, []);

      await net.cut(alice, bob);
      assert.deepEqual(fa.stats().cutPeers, [bob.peerId]);
      await net.restore(bob, alice);
      assert.deepEqual([...fa.stats().cutPeers, ...fb.stats().cutPeers], []);
    } finally {
      await net.close();
    }
  });

  it("without faults, isolate() refuses with ISOLATION_UNAVAILABLE", async () => {
    const net = await startNetwork({ mode: "async", relaySlotMs: 1000, validators: 1, collators: 0 });
    try {
      await assert.rejects(
        net.validators[0]!.isolate(),
        (e: unknown) =>
          e instanceof HarnessError && e.code === "ISOLATION_UNAVAILABLE" && /faults: true/.test(e.message),
      );
    } finally {
      await net.close();
    }
  });
});
