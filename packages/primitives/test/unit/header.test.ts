import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Header } from "@polkadot/types/interfaces";
import { blake2_256, cryptoReady, toHex } from "../../src/hashing.js";
import { devKeypair, parseAddress, sr25519Sign, sr25519Verify, toSs58 } from "../../src/keys.js";
import { paraSlotFromRelaySlot, scaleToSlot, slotAt, slotAuthor } from "../../src/time.js";
import { auraPreDigest, findAuraSlot, headerHash, registry, scaleBytes } from "../../src/types/index.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("Substrate header encoding", () => {
  before(cryptoReady);

  // Source: polkadot-sdk substrate/primitives/runtime/src/generic/header.rs `ensure_format_is_unchanged`
  // (bytes), hashes per shared/reference/header.py.
  it("encodes the upstream vector byte for byte and hashes it", () => {
    const header = registry.createType<Header>("Header", {
      parentHash: blake2_256(utf8("1")),
      number: 2,
      stateRoot: blake2_256(utf8("3")),
      extrinsicsRoot: blake2_256(utf8("4")),
      digest: { logs: [{ Other: scaleBytes(utf8("6")) }] },
    });
    const expected = new Uint8Array([
      146, 205, 245, 120, 196, 112, 133, 165, 153, 34, 86, 240, 220, 249, 125, 11, 25, 241, 241, 201, 222, 77, 95, 227,
      12, 58, 206, 97, 145, 182, 229, 219, 8, 88, 19, 72, 51, 123, 15, 62, 20, 134, 32, 23, 61, 170, 165, 249, 77, 0,
      216, 129, 112, 93, 203, 240, 170, 131, 239, 218, 186, 97, 210, 237, 225, 235, 134, 73, 33, 73, 151, 87, 78, 32,
      196, 100, 56, 138, 23, 36, 32, 210, 84, 3, 104, 43, 187, 184, 12, 73, 104, 49, 200, 204, 31, 143, 13, 4, 0, 4, 54,
    ]);
    assert.deepEqual(header.toU8a(), expected);
    assert.equal(toHex(headerHash(header)), "0xa8a0cb64226571950897d4450958e80393585495616fc6589af75d2f2edc90d1");
  });

  it("encodes the second upstream vector (number 2000, compact 0x411f)", () => {
    const header = registry.createType<Header>("Header", {
      parentHash: blake2_256(utf8("1000")),
      number: 2000,
      stateRoot: blake2_256(utf8("3000")),
      extrinsicsRoot: blake2_256(utf8("4000")),
      digest: { logs: [{ Other: scaleBytes(utf8("5000")) }] },
    });
    const bytes = header.toU8a();
    assert.deepEqual([...bytes.subarray(32, 34)], [0x41, 0x1f]);
    assert.ok(toHex(headerHash(bytes)).startsWith("0x28d2d8d2"));
    assert.ok(toHex(headerHash(bytes)).endsWith("18661"));
  });

  // Source: shared/reference/async-backing.md section 6, "Parachain digests in practice".
  it("encodes the Aura pre-runtime digest for slot 12345 and finds the slot again", () => {
    const item = auraPreDigest(registry, 12345);
    assert.equal(toHex(item.toU8a()), "0x066175726120" + "3930000000000000");
    const header = registry.createType<Header>("Header", { number: 1, digest: { logs: [item] } });
    assert.equal(findAuraSlot(header), 12345n);
  });

  // Source: polkadot-sdk substrate/primitives/runtime/src/generic/digest.rs serialization test.
  it("encodes digest items with Substrate's discriminants", () => {
    assert.equal(toHex(registry.createType("DigestItem", { Other: [1, 2, 3] }).toU8a()), "0x000c010203");
    assert.equal(
      toHex(registry.createType("DigestItem", { Seal: [utf8("test"), scaleBytes(new Uint8Array([1, 2, 3]))] }).toU8a()),
      "0x05746573740c010203",
    );
  });
});

describe("keys and slots", () => {
  before(cryptoReady);

  it("derives //Alice's well-known public key and signs/verifies on the WASM path", () => {
    const alice = devKeypair("Alice");
    assert.equal(toHex(alice.publicKey), "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d");
    assert.equal(toSs58(alice.publicKey), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
    const msg = utf8("parapipe");
    const sig = sr25519Sign(alice, msg);
    assert.equal(sr25519Verify(sig, msg, alice.publicKey), true);
    assert.equal(sr25519Verify(sig, utf8("parapipf"), alice.publicKey), false);
    assert.equal(sr25519Verify(sig.subarray(1), msg, alice.publicKey), false, "a short signature verifies false");
  });

  it("parses SS58 (any prefix) and hex addresses, and refuses garbage with a typed error", () => {
    const alice = devKeypair("Alice").publicKey;
    assert.deepEqual(parseAddress(toSs58(alice, 5)), alice);
    assert.deepEqual(parseAddress(toHex(alice)), alice);
    assert.throws(() => parseAddress("5Grwva-not-an-address"), { code: "INVALID_ADDRESS" });
  });

  // Source: polkadot-sdk substrate/primitives/consensus/slots (from_timestamp) and aura standalone slot_author.
  it("computes slots, authors and the para slot of a relay slot", () => {
    assert.equal(slotAt(12_345, 6000), 2n);
    assert.equal(slotAuthor(7n, ["a", "b", "c"]), "b");
    assert.equal(slotAuthor(7n, []), undefined);
    assert.equal(paraSlotFromRelaySlot(10, 6000, 2000), 30n);
    assert.equal(paraSlotFromRelaySlot(10, 3000, 6000), 5n);
    assert.equal(scaleToSlot(2000, 750), 250);
  });
});
