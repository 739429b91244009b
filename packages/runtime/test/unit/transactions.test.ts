import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { cryptoReady, toHex } from "@parapipe/primitives";
import { Keyring } from "@polkadot/keyring";
import type { Extrinsic } from "@polkadot/types/interfaces";
import { TransactionValidityError } from "../../src/frame/errors.js";
import { makeCall } from "../../src/parachain/signing.js";
import { alice, bob, charlie, dave, devChain, UNIT } from "./fixtures.js";

/** The pool's verdict on `tx` at the chain's head, through the runtime API (which never throws). */
function poolCheck(chain: ReturnType<typeof devChain>, tx: Uint8Array) {
  const r = chain.runtime.validateTransaction(chain.store, chain.head, tx);
  if (r.ok) return { ok: r.value };
  assert.ok(r.error instanceof TransactionValidityError, `expected a TransactionValidityError, got ${r.error}`);
  return { err: r.error.type.error };
}

describe("transactions: signing, fees, events", () => {
  before(cryptoReady);

  it("accepts a transfer signed by polkadot-js itself (Keyring, JS signer) and reports Transfer + ExtrinsicSuccess", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    const rt = chain.runtime;
    const pair = new Keyring({ type: "sr25519" }).addFromUri("//Alice");
    const call = makeCall(rt.registry, "balances", "transferKeepAlive", [{ Id: dave.publicKey }, 3n * UNIT]);
    const ext = rt.registry.createType<Extrinsic>("Extrinsic", call);
    ext.sign(pair, {
      blockHash: chain.genesisHash,
      genesisHash: chain.genesisHash,
      nonce: 0,
      runtimeVersion: {
        specVersion: rt.version.specVersion,
        transactionVersion: rt.version.transactionVersion,
      } as never,
      era: rt.registry.createType("ExtrinsicEra", new Uint8Array([0])),
    } as never);
    const b = chain.produce({ relaySlot: 101n, transactions: [ext.toU8a()] });
    assert.equal(b.included.length, 1, JSON.stringify(b.rejected.map((r) => r.error)));
    assert.equal(chain.free(dave.publicKey), 3n * UNIT);
    const names = b.events.filter((e) => e.extrinsicIndex === 2).map((e) => `${e.pallet}.${e.name}`);
    assert.ok(names.includes("Balances.Transfer"));
    assert.ok(names.includes("System.ExtrinsicSuccess"));
    assert.ok(names.includes("TransactionPayment.TransactionFeePaid"));
  });

  it("accepts a mortal transaction whose birth block is known", () => {
    const chain = devChain("async");
    for (let i = 0; i < 3; i++) chain.produce({ relaySlot: BigInt(100 + i) });
    const birth = chain.blocks[2]!;
    const tx = chain.sign(alice, "balances", "transferKeepAlive", [{ Id: dave.publicKey }, UNIT], {
      mortal: { period: 64, current: birth.number, blockHash: birth.hash },
    });
    const b = chain.produce({ relaySlot: 103n, transactions: [tx] });
    assert.equal(b.included.length, 1, JSON.stringify(b.rejected.map((r) => r.error)));
  });

  it("charges length + weight fees into the collator pot, and query_info predicts the fee", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    const tx = chain.sign(alice, "balances", "transferKeepAlive", [{ Id: dave.publicKey }, UNIT]);
    const q = chain.runtime.queryInfo(tx);
    assert.ok(q.ok);
    const info = q.value;
    const before = chain.free(alice.publicKey);
    const b = chain.produce({ relaySlot: 101n, transactions: [tx] });
    const paid = b.events.find((e) => e.name === "TransactionFeePaid")!.fields["actual_fee"] as bigint;
    assert.equal(paid, info.partialFee);
    assert.equal(before - chain.free(alice.publicKey), UNIT + paid);
    assert.ok(paid > 10n ** 14n && paid < 10n ** 16n, `fee ${paid} should be about 0.001 ASTR`);
  });

  it("orders by nonce: the pool sees a future nonce as valid with a requires tag, the block refuses it", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    const future = chain.sign(alice, "balances", "transferKeepAlive", [{ Id: dave.publicKey }, UNIT], { nonce: 1 });
    const v = poolCheck(chain, future);
    assert.ok(v.ok);
    assert.equal(v.ok!.requires.length, 1);
    const b = chain.produce({ relaySlot: 101n, transactions: [future] });
    assert.equal(b.rejected[0]?.error.kind === "Invalid" && b.rejected[0].error.reason, "Future");
  });
});

describe("block builder", () => {
  before(cryptoReady);

  it("stops adding pool transactions at the authoring deadline and hands the rest back untried", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    const txs = [0, 1, 2, 3, 4].map((n) =>
      chain.sign(alice, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, UNIT], { nonce: n }),
    );
    // A fake clock that advances 10 ms per reading; the deadline allows three readings.
    let t = 0;
    const b = chain.produce({ relaySlot: 101n, transactions: txs, deadline: { now: () => (t += 10), deadlineMs: 35 } });
    assert.equal(b.included.length, 3);
    assert.equal(b.untried.length, 2);
    assert.equal(b.rejected.length, 0);
  });

  it("refuses an unsigned inherent offered as a pool transaction and still builds the block", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    const rt = chain.runtime;
    // A second timestamp.set would fail the block if applied as an inherent; from the pool it is refused.
    const bogus = rt.registry
      .createType("Extrinsic", makeCall(rt.registry, "timestamp", "set", [101n * 6000n]))
      .toU8a();
    const b = chain.produce({ relaySlot: 101n, transactions: [bogus] });
    assert.equal(b.included.length, 0);
    assert.deepEqual(b.rejected[0]?.error, { kind: "Unknown", reason: "NoUnsignedValidator" });
  });

  it("stops at the block weight limit: what does not fit waits for the next block", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    // Each call weighs 0.6 s; the normal class has 1.5 s of a 2 s block.
    const txs = [0, 1, 2, 3].map((n) => chain.sign(alice, "dev", "compute", [600_000], { nonce: n }));
    const b = chain.produce({ relaySlot: 101n, transactions: txs });
    assert.equal(b.included.length, 2);
    assert.equal(b.untried.length, 2);
  });
});

describe("bad transactions get typed errors and change nothing", () => {
  before(cryptoReady);

  it("malformed bytes are Undecodable", () => {
    const chain = devChain("async");
    for (const bytes of [
      new Uint8Array([]),
      new Uint8Array([4, 0x84]),
      new Uint8Array([0x10, 1, 2, 3, 4]),
      new Uint8Array(64).fill(0xff),
    ]) {
      assert.equal(poolCheck(chain, bytes).err?.kind, "Undecodable", toHex(bytes));
    }
  });

  it("an unknown call index is refused as undecodable, naming the index", () => {
    const chain = devChain("async");
    const tx = chain.sign(alice, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, UNIT]);
    // Patch the call's pallet index (after version, signer, signature, era, nonce, tip) to an unused one.
    const bytes = tx.slice();
    const callStart = bytes.length - (1 + 1 + 1 + 32 + 9);
    assert.equal(bytes[callStart], 31, "Balances pallet index");
    bytes[callStart] = 77;
    const e = poolCheck(chain, bytes).err;
    assert.equal(e?.kind, "Undecodable");
    assert.match(e?.kind === "Undecodable" ? e.detail : "", /77/);
  });

  it("queryInfo on garbage gives a typed error, not an exception", () => {
    const chain = devChain("async");
    const r = chain.runtime.queryInfo(new Uint8Array([9, 9, 9]));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, "TRANSACTION_INVALID");
  });

  it("a bad signature is Invalid(BadProof)", () => {
    const chain = devChain("async");
    const tx = chain.sign(alice, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, UNIT]).slice();
    tx[2 + 33 + 1 + 10]! ^= 1;
    assert.deepEqual(poolCheck(chain, tx).err, { kind: "Invalid", reason: "BadProof" });
  });

  it("a stale nonce is Invalid(Stale)", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    const first = chain.sign(alice, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, UNIT]);
    chain.produce({ relaySlot: 101n, transactions: [first] });
    const again = chain.sign(alice, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, UNIT], { nonce: 0 });
    const e = poolCheck(chain, again).err;
    assert.equal(e?.kind === "Invalid" && e.reason, "Stale");
  });

  it("an account that cannot pay the fee is Invalid(Payment); one that cannot pay the amount fails with Balances.InsufficientBalance", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    // Dave has nothing: cannot even pay the fee.
    const broke = chain.sign(dave, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, UNIT]);
    const e = poolCheck(chain, broke).err;
    assert.equal(e?.kind === "Invalid" && e.reason, "Payment");
    // Charlie pays the fee but asks for more than he has: included, fails, fee kept.
    const tooMuch = chain.sign(charlie, "balances", "transferAllowDeath", [{ Id: bob.publicKey }, 2_000_000n * UNIT]);
    const before = chain.free(charlie.publicKey);
    const b = chain.produce({ relaySlot: 101n, transactions: [tooMuch] });
    assert.equal(b.included.length, 1);
    const failed = b.events.find((x) => x.name === "ExtrinsicFailed")!;
    assert.deepEqual(failed.fields["dispatch_error"], { Module: { index: 31, error: [2, 0, 0, 0] } });
    assert.ok(chain.free(charlie.publicKey) < before, "the fee was charged");
    assert.ok(chain.free(charlie.publicKey) > before - UNIT, "the transfer was rolled back");
  });

  it("an over-long remark fails with Dev.RemarkTooLong", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    const tx = chain.sign(alice, "dev", "remark", [`0x${"ab".repeat(5000)}`]);
    const b = chain.produce({ relaySlot: 101n, transactions: [tx] });
    const failed = b.events.find((x) => x.name === "ExtrinsicFailed")!;
    assert.deepEqual(failed.fields["dispatch_error"], { Module: { index: 200, error: [0, 0, 0, 0] } });
  });

  it("a transfer below the existential deposit to a new account fails with Balances.ExistentialDeposit", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    const tx = chain.sign(alice, "balances", "transferKeepAlive", [{ Id: dave.publicKey }, 5n]);
    const b = chain.produce({ relaySlot: 101n, transactions: [tx] });
    const failed = b.events.find((x) => x.name === "ExtrinsicFailed")!;
    assert.deepEqual(failed.fields["dispatch_error"], { Module: { index: 31, error: [3, 0, 0, 0] } });
  });

  it("sudo dispatches as root; a non-sudo signer gets Sudo.RequireSudo", () => {
    const chain = devChain("async");
    chain.produce({ relaySlot: 100n });
    const rt = chain.runtime;
    const inner = makeCall(rt.registry, "balances", "forceSetBalance", [{ Id: dave.publicKey }, 42n * UNIT]);
    const ok = chain.sign(alice, "sudo", "sudo", [inner]);
    const bad = chain.sign(bob, "sudo", "sudo", [inner]);
    const b = chain.produce({ relaySlot: 101n, transactions: [ok, bad] });
    assert.equal(chain.free(dave.publicKey), 42n * UNIT);
    assert.ok(b.events.some((e) => e.name === "Sudid"));
    const failed = b.events.find((x) => x.name === "ExtrinsicFailed")!;
    assert.deepEqual(failed.fields["dispatch_error"], { Module: { index: 99, error: [0, 0, 0, 0] } });
  });
});
