import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cryptoReady, toHex } from "@parapipe/primitives";
import { relaySpec, startRelayValidators, type TestRelayNetwork, waitFor } from "../utils/network.js";

const SLOT_MS = 500;
const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"];

describe("relay chain: 4 validators over libp2p", () => {
  let net: TestRelayNetwork;
  before(async () => {
    await cryptoReady();
    net = await startRelayValidators(relaySpec({ validators: VALIDATORS, slotMs: SLOT_MS, mode: "async" }), VALIDATORS);
  });
  after(() => net?.close());

  it("advances one block per slot, finality follows within 2 blocks, and all nodes agree", async () => {
    const n0 = net.nodes[0]!;
    const observe = () => net.nodes.map((n) => `#${n.best.number}/f#${n.finalized.number}`).join(" ");
    // Warm-up: the gossip mesh forms in the first seconds (blocks may fork then); measure once every node
    // has finalized a few blocks.
    await waitFor("finality on every node", () => net.nodes.every((n) => n.finalized.number >= 3), 15_000, observe);
    const startNumber = n0.best.number;
    const startSlot = Math.floor(Date.now() / SLOT_MS);
    const SLOTS = 30;
    await new Promise((r) => setTimeout(r, SLOTS * SLOT_MS + SLOT_MS / 2));
    await waitFor(
      "nodes agreeing on best",
      () => new Set(net.nodes.map((n) => toHex(n.best.hash))).size === 1,
      3 * SLOT_MS,
      observe,
    );
    const produced = n0.best.number - startNumber;
    const slots = Math.floor(Date.now() / SLOT_MS) - startSlot;
    assert.ok(produced >= slots - 1, `expected a block per slot: ${produced} blocks in ${slots} slots (${observe()})`);
    for (const n of net.nodes) {
      assert.ok(n.best.number - n.finalized.number <= 2, `finality lag too large: ${observe()}`);
    }
    assert.equal(new Set(net.nodes.map((n) => toHex(n.finalized.hash))).size <= 2, true);
    assert.deepEqual(
      net.nodes.map((n) => n.stats.authored > 0),
      [true, true, true, true],
      "every validator authored in its slots",
    );
  });
});
