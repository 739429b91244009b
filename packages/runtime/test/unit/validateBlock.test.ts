import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  blake2_256,
  bytesEqual,
  cryptoReady,
  headerHash,
  scaleBytes,
  sr25519Sign,
  withAuraSeal,
  withoutSeal,
} from "@parapipe/primitives";
import type { Header } from "@polkadot/types/interfaces";
import { validateBlock } from "../../src/parachain/blocks.js";
import type { DevParachain } from "../../src/parachain/devChain.js";
import type { ParachainRuntime } from "../../src/parachain/runtime.js";
import { alice, bob, charlie, devChain, UNIT } from "./fixtures.js";

/** ValidationParams bytes for a built block, as the relay validator passes them. */
function params(
  rt: ParachainRuntime,
  parentHeader: Uint8Array,
  pov: Uint8Array,
  relayNumber: number,
  relayRoot: Uint8Array,
): Uint8Array {
  return rt.registry
    .createType("ValidationParams", {
      parentHead: scaleBytes(parentHeader),
      blockData: scaleBytes(pov),
      relayParentNumber: relayNumber,
      relayParentStorageRoot: relayRoot,
    })
    .toU8a();
}

/** The relay root a built block committed to (from its validation data). */
function relayOf(chain: DevParachain, stateRoot: Uint8Array): { number: number; root: Uint8Array } {
  const vd = chain.runtime.parachainSystem.validationData(chain.runtime.stateAt(chain.store, stateRoot))!;
  return { number: vd.relayParentNumber, root: vd.relayParentStorageRoot };
}

/** Re-encodes a PoV with a changed witness or block. */
function pov(rt: ParachainRuntime, block: Uint8Array, witness: Uint8Array[]): Uint8Array {
  return rt.registry.createType("ParaBlockData", { block, witness: witness.map(scaleBytes) }).toU8a();
}

describe("validateBlock (the PVF)", () => {
  before(cryptoReady);

  function setup() {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n, inclusionDelay: 1 });
    const parent = chain.head;
    const txs = [
      chain.sign(alice, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, 5n * UNIT]),
      chain.sign(bob, "balances", "transferAllowDeath", [{ Id: charlie.publicKey }, 7n * UNIT]),
    ];
    const built = chain.build({ relaySlot: 101n, inclusionDelay: 1, transactions: txs });
    assert.ok(built.ok, built.ok ? "" : built.error.message);
    const b = built.value;
    // The relay parent data the block committed to (from the executed state).
    chain.importBuilt(b, 101);
    const relay = relayOf(chain, b.stateRoot);
    return { chain, rt: chain.runtime, parent, b, relay };
  }

  it("re-executes a block from (parent head, PoV, relay parent number, relay storage root) alone and yields its head", () => {
    const { rt, parent, b, relay } = setup();
    assert.equal(b.included.length, 2);
    const r = validateBlock(rt, params(rt, parent.header, b.pov, relay.number, relay.root));
    assert.ok(r.ok, r.ok ? "" : `${r.error.code}: ${r.error.message}`);
    assert.ok(bytesEqual(r.value.headData, b.header.toU8a()));
    assert.equal(r.value.hrmpWatermark, relay.number);
  });

  it("refuses a witness with a changed state value (the node is no longer part of the parent state)", () => {
    const { rt, parent, b, relay } = setup();
    // Flip a byte of the largest node (a leaf holding an account value).
    const witness = b.witness.map((n) => n.slice());
    const i = witness.reduce((best, n, j) => (n.length > witness[best]!.length ? j : best), 0);
    witness[i]![witness[i]!.length - 1]! ^= 1;
    const r = validateBlock(rt, params(rt, parent.header, pov(rt, b.block, witness), relay.number, relay.root));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "WITNESS_UNREFERENCED_NODE");
  });

  it("refuses a witness missing a node the block touches: missing is an error, never 'no value'", () => {
    const { rt, parent, b, relay } = setup();
    // Drop a leaf-level node: one that references no other witness node.
    const hashes = new Set(b.witness.map((n) => Buffer.from(blake2_256(n)).toString("hex")));
    const leafIdx = b.witness.findIndex((n) => {
      for (const h of hashes) if (Buffer.from(n).toString("hex").includes(h)) return false;
      return true;
    });
    assert.ok(leafIdx >= 0);
    const witness = b.witness.filter((_, j) => j !== leafIdx);
    const r = validateBlock(rt, params(rt, parent.header, pov(rt, b.block, witness), relay.number, relay.root));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "WITNESS_INCOMPLETE");
  });

  it("refuses a wrong parent head", () => {
    const { chain, rt, b, relay } = setup();
    const wrongParent = chain.blocks[0]!.header;
    const r = validateBlock(rt, params(rt, wrongParent, b.pov, relay.number, relay.root));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "PARENT_HEAD_MISMATCH");
  });

  it("refuses a relay parent that differs from the block's validation data", () => {
    const { rt, parent, b, relay } = setup();
    const r = validateBlock(rt, params(rt, parent.header, b.pov, relay.number + 1, relay.root));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "VALIDATION_DATA_MISMATCH");
  });

  it("refuses a block whose seal is not the slot author's", () => {
    const { rt, parent, b, relay } = setup();
    const unsealed = withoutSeal(rt.registry, b.header);
    const forged = withAuraSeal(rt.registry, unsealed, sr25519Sign(charlie, headerHash(unsealed)));
    const block = rt.registry
      .createType("OpaqueBlock", {
        header: forged,
        extrinsics: (rt.registry.createType("OpaqueBlock", b.block) as unknown as { extrinsics: unknown }).extrinsics,
      })
      .toU8a();
    const r = validateBlock(rt, params(rt, parent.header, pov(rt, block, b.witness), relay.number, relay.root));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "BAD_SEAL");
  });

  it("refuses a block carrying a transaction with a bad signature", () => {
    const { rt, parent, b, relay } = setup();
    const opaque = rt.registry.createType("OpaqueBlock", b.block) as unknown as {
      header: Header;
      extrinsics: Array<{ toU8a(b: boolean): Uint8Array }>;
    };
    const exts = opaque.extrinsics.map((x) => x.toU8a(true).slice());
    // Extrinsic 2 is Alice's transfer: flip a byte inside its sr25519 signature (after version + MultiAddress).
    exts[2]![1 + 33 + 1 + 5]! ^= 0xff;
    const block = rt.registry
      .createType("OpaqueBlock", { header: opaque.header, extrinsics: exts.map(scaleBytes) })
      .toU8a();
    const r = validateBlock(rt, params(rt, parent.header, pov(rt, block, b.witness), relay.number, relay.root));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, "INVALID_EXTRINSIC");
      assert.match(r.error.message, /bad signature/);
    }
  });

  it("refuses an overweight block", () => {
    // Built by a runtime with a 10 s limit, validated by one with the real 2 s limit.
    const big = devChain("async", { blockRefTimeMs: 10_000 });
    big.produce({ relaySlot: 100n, inclusionDelay: 1 });
    const parent = big.head;
    const calls = [0, 1, 2, 3].map((n) => big.sign(alice, "dev", "compute", [480_000], { nonce: n }));
    const built = big.produce({ relaySlot: 101n, inclusionDelay: 1, transactions: calls });
    assert.equal(built.included.length, 4, "the permissive runtime takes 4 × 0.48 s");
    const strict = devChain("async").runtime;
    const relay = relayOf(big, built.stateRoot);
    const r = validateBlock(strict, params(strict, parent.header, built.pov, relay.number, relay.root));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "BLOCK_OVERWEIGHT");
  });

  it("refuses a block that would overfill the unincluded segment", () => {
    // A permissive runtime (capacity 3) builds a third unincluded block; the real one (capacity 2) refuses it.
    const loose = devChain("async", { unincludedSegmentCapacity: 3 });
    loose.produce({ relaySlot: 100n, inclusionDelay: 5 });
    loose.produce({ relaySlot: 101n, inclusionDelay: 5 });
    const parent = loose.head;
    const b = loose.produce({ relaySlot: 102n, inclusionDelay: 5 });
    const relay = relayOf(loose, b.stateRoot);
    const strict = devChain("async", { unincludedSegmentCapacity: 2 }).runtime;
    const r = validateBlock(strict, params(strict, parent.header, b.pov, relay.number, relay.root));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, "UNINCLUDED_SEGMENT_FULL");
      assert.equal(r.error.message, "No space left for the block in the unincluded segment: new_len(2) < capacity(2)");
    }
  });

  it("gives a typed error, not a crash, for undecodable params and PoVs", () => {
    const { rt } = setup();
    for (const bytes of [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(200).fill(0xff)]) {
      const r = validateBlock(rt, bytes);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.error.code, "UNDECODABLE_BLOCK");
    }
  });
});
