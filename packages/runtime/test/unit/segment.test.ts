import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { cryptoReady } from "@parapipe/primitives";
import { devChain } from "./fixtures.js";

/**
 * Upstream vectors: cumulus pallets/parachain-system/src/tests.rs L493-548 (`BlockTests::with_inclusion_delay`,
 * unincluded segment), shared/reference/async-backing.md §1.2: the relay's included head lags `d` blocks.
 */
describe("unincluded segment (cumulus parachain-system tests.rs)", () => {
  before(cryptoReady);

  it("capacity 10 with inclusion delay 1 gives segment lengths 1, 2, 2 (the first block is popped)", () => {
    const chain = devChain("async", { unincludedSegmentCapacity: 10, velocity: 1 });
    const lengths: number[] = [];
    for (let i = 0; i < 3; i++) {
      chain.produce({ relaySlot: BigInt(100 + i), inclusionDelay: 1 });
      const state = chain.runtime.stateAt(chain.store, chain.head.stateRoot);
      lengths.push(chain.runtime.parachainSystem.segment(state).length);
    }
    assert.deepEqual(lengths, [1, 2, 2]);
  });

  it("capacity 1 with inclusion delay 2 fails on the second block with the upstream message", () => {
    const chain = devChain("async", { unincludedSegmentCapacity: 1, velocity: 1 });
    chain.produce({ relaySlot: 100n, inclusionDelay: 2 });
    const r = chain.build({ relaySlot: 101n, inclusionDelay: 2 });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, "UNINCLUDED_SEGMENT_FULL");
      assert.equal(r.error.message, "No space left for the block in the unincluded segment: new_len(1) < capacity(1)");
    }
  });

  it("records each block's head hash in its successor and drops ancestors once included", () => {
    const chain = devChain("async");
    const b1 = chain.produce({ relaySlot: 100n, inclusionDelay: 2 });
    chain.produce({ relaySlot: 101n, inclusionDelay: 2 });
    const rt = chain.runtime;
    const seg = rt.parachainSystem.segment(rt.stateAt(chain.store, chain.head.stateRoot));
    assert.equal(seg.length, 2);
    assert.deepEqual(seg[0], b1.hash, "the first ancestor's head hash is block 1's hash");
    assert.equal(seg[1], undefined, "the newest block's hash is filled in by its child");
    // Relay includes block 1: the next block drops it, keeping block 2 and itself.
    chain.produce({ relaySlot: 102n, includedNumber: 1 });
    assert.equal(rt.parachainSystem.segment(rt.stateAt(chain.store, chain.head.stateRoot)).length, 2);
  });

  it("under sync parameters (capacity 1) a block builds only on an included parent", () => {
    const chain = devChain("sync");
    chain.produce({ relaySlot: 100n, inclusionDelay: 0 });
    chain.produce({ relaySlot: 102n, inclusionDelay: 0 });
    const r = chain.build({ relaySlot: 104n, inclusionDelay: 1 });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "UNINCLUDED_SEGMENT_FULL");
  });
});
