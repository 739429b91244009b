import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { cryptoReady, toHex } from "@parapipe/primitives";
import { bareContext, paraRuntime } from "./fixtures.js";

/**
 * Upstream vectors: polkadot-sdk cumulus/pallets/aura-ext/src/test.rs (current FixedVelocityConsensusHook,
 * relay-slot based, PR #6825), as summarised in shared/reference/async-backing.md §1.4.
 */
describe("FixedVelocityConsensusHook (cumulus aura-ext test.rs)", () => {
  before(cryptoReady);

  /** Hook <relaySlotMs, V, C> with para slot duration `paraMs` and Aura.CurrentSlot = paraSlot. */
  function hook(relaySlotMs: number, velocity: number, capacity: number, paraMs = 6000) {
    const rt = paraRuntime("async", {
      relaySlotDurationMs: relaySlotMs,
      velocity,
      unincludedSegmentCapacity: capacity,
      paraSlotDurationMs: paraMs,
    });
    const ctx = bareContext(rt);
    return {
      rt,
      ctx,
      setParaSlot: (s: bigint) => rt.aura.storage.CurrentSlot.put(ctx.state, s),
      call: (relaySlot: bigint) => rt.auraExt.onStateProof(ctx, relaySlot),
      info: () => rt.auraExt.slotInfo(ctx.state),
    };
  }

  it("counts blocks per relay slot: <6000,2,1> twice at slot 10 gives capacity 1 and (10,1) then (10,2)", () => {
    const h = hook(6000, 2, 1);
    h.setParaSlot(10n);
    assert.deepEqual(h.call(10n), { kind: "Value", value: 1 });
    assert.deepEqual(h.info(), [10n, 1]);
    assert.deepEqual(h.call(10n), { kind: "Value", value: 1 });
    assert.deepEqual(h.info(), [10n, 2]);
  });

  it("allows velocity + 1 blocks per relay slot and panics on the next one", () => {
    const h = hook(6000, 2, 1);
    h.setParaSlot(10n);
    h.call(10n);
    h.call(10n);
    h.call(10n);
    assert.deepEqual(h.info(), [10n, 3]);
    assert.throws(() => h.call(10n), {
      code: "CONSENSUS_HOOK",
      message: /authored blocks limit is reached for the slot/,
    });
  });

  it("resets the count when the relay slot advances: (10,1..3) then (11,1..3)", () => {
    const h = hook(6000, 2, 1);
    h.setParaSlot(10n);
    for (const n of [1, 2, 3]) {
      h.call(10n);
      assert.deepEqual(h.info(), [10n, n]);
    }
    for (const n of [1, 2, 3]) {
      h.call(11n);
      assert.deepEqual(h.info(), [11n, n]);
    }
  });

  it("panics when the relay slot moves backwards", () => {
    const h = hook(6000, 2, 1);
    h.setParaSlot(9n);
    h.call(10n);
    assert.throws(() => h.call(9n), {
      message: "Slot moved backwards: stored_slot=Slot(10), relay_chain_slot=Slot(9)",
    });
  });

  const paraSlotCases: Array<[number, bigint, bigint, boolean]> = [
    [2000, 30n, 10n, true],
    [2000, 33n, 11n, true],
    [2000, 29n, 10n, true],
    [6000, 10n, 10n, true],
    [6000, 9n, 10n, true],
    [2000, 31n, 10n, false],
    [2000, 32n, 10n, false],
    [6000, 11n, 10n, false],
  ];
  for (const [paraMs, paraSlot, relaySlot, ok] of paraSlotCases) {
    it(`para slot ${paraSlot} at relay slot ${relaySlot} with ${paraMs} ms para slots ${ok ? "passes" : "is too far in the future"}`, () => {
      const h = hook(6000, 2, 1, paraMs);
      h.setParaSlot(paraSlot);
      if (ok) h.call(relaySlot);
      else
        assert.throws(() => h.call(relaySlot), {
          code: "CONSENSUS_HOOK",
          message: /Parachain slot is too far in the future/,
        });
    });
  }

  it("reports the derived para slot with 3000 ms relay slots: para slot 8 vs Slot(5)", () => {
    const h = hook(3000, 2, 1, 6000);
    h.setParaSlot(8n);
    assert.throws(() => h.call(10n), {
      message:
        "Parachain slot is too far in the future: parachain_slot=Slot(8), derived_from_relay_slot=Slot(5) velocity=2",
    });
  });
});

describe("can_build_upon (cumulus aura-ext test.rs)", () => {
  before(cryptoReady);
  const h1 = new Uint8Array(32).fill(1);
  const h2 = new Uint8Array(32).fill(2);
  const h3 = new Uint8Array(32).fill(3);

  /** Segment fixture: 3 ancestors with head hashes 0x01.., 0x02.., 0x03..; RelaySlotInfo = (slot, authored). */
  function fixture(capacity: number, slot: bigint, authored: number) {
    const rt = paraRuntime("async", { velocity: 2, unincludedSegmentCapacity: capacity });
    const ctx = bareContext(rt);
    rt.parachainSystem.storage.UnincludedSegment.put(
      ctx.state,
      [h1, h2, h3].map((h) => ({ paraHeadHash: toHex(h) })),
    );
    rt.auraExt.storage.RelaySlotInfo.put(ctx.state, [slot, authored]);
    return (included: Uint8Array, newSlot: bigint) => rt.auraExt.canBuildUpon(ctx.state, included, newSlot);
  }

  const table: Array<[number, bigint, boolean]> = [
    [2, 11n, true],
    [2, 10n, true],
    [2, 9n, false],
    [1, 10n, true],
    [0, 10n, true],
    [3, 10n, false],
  ];
  for (const [authored, slot, expected] of table) {
    it(`C=10, stored (10, ${authored}), query slot ${slot}: ${expected}`, () => {
      assert.equal(fixture(10, 10n, authored)(h3, slot), expected);
    });
  }

  it("with C=2 a full segment after the included block refuses, a shorter one allows", () => {
    const can = fixture(2, 10n, 0);
    assert.equal(can(h1, 11n), false, "two blocks after 0x01.. fill capacity 2");
    assert.equal(can(h2, 11n), true, "one block after 0x02..");
  });

  it("with no RelaySlotInfo yet, building is always allowed", () => {
    const rt = paraRuntime("async");
    assert.equal(rt.auraExt.canBuildUpon(bareContext(rt).state, h1, 1n), true);
  });
});
