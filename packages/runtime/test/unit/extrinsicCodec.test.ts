import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { cryptoReady, toHex } from "@parapipe/primitives";
import { Keyring } from "@polkadot/keyring";
import type { Extrinsic } from "@polkadot/types/interfaces";
import { EnvelopeError, eraBirth, eraDeath, parseEnvelope } from "../../src/frame/extrinsicCodec.js";
import { makeCall } from "../../src/parachain/signing.js";
import { bob, paraRuntime, UNIT } from "./fixtures.js";

/** The hand parser of the extrinsic envelope against @polkadot/types on extrinsics signed by polkadot-js. */
describe("extrinsic envelope parser", () => {
  before(cryptoReady);

  const cases: Array<{ name: string; nonce: number; tip: bigint; era?: { current: number; period: number } }> = [
    { name: "immortal, nonce 0, no tip", nonce: 0, tip: 0n },
    { name: "mortal 64, nonce 70, tip 1", nonce: 70, tip: 1n },
    {
      name: "mortal 4096, nonce 2^20, tip 10^20",
      nonce: 1 << 20,
      tip: 10n ** 20n,
      era: { current: 123_456, period: 4096 },
    },
    { name: "mortal 8, large nonce, huge tip", nonce: 2 ** 31, tip: 2n ** 100n, era: { current: 9, period: 8 } },
  ];
  for (const c of cases) {
    it(`matches @polkadot/types: ${c.name}`, () => {
      const rt = paraRuntime();
      const pair = new Keyring({ type: "sr25519" }).addFromUri("//Alice");
      const call = makeCall(rt.registry, "balances", "transferKeepAlive", [{ Id: bob.publicKey }, 7n * UNIT]);
      const ext = rt.registry.createType<Extrinsic>("Extrinsic", call);
      const era = c.era
        ? rt.registry.createType("ExtrinsicEra", { current: c.era.current, period: c.era.period })
        : rt.registry.createType("ExtrinsicEra", new Uint8Array([0]));
      ext.sign(pair, {
        blockHash: new Uint8Array(32),
        genesisHash: new Uint8Array(32),
        nonce: c.nonce,
        tip: c.tip,
        era,
        runtimeVersion: { specVersion: 1, transactionVersion: 1 },
      } as never);
      const env = parseEnvelope(ext.toU8a());
      assert.equal(toHex(env.signed!.signer), toHex(pair.publicKey));
      assert.equal(env.signed!.nonce, c.nonce);
      assert.equal(env.signed!.tip, c.tip);
      assert.equal(env.signed!.signatureType, "Sr25519");
      assert.equal(toHex(env.signed!.signature), ext.signature.toHex());
      assert.equal(toHex(env.callBytes), call.toHex());
      if (c.era) {
        const mortal = ext.era.asMortalEra;
        assert.equal(env.signed!.era.kind, "mortal");
        assert.equal(eraBirth(env.signed!.era, c.era.current + 3), mortal.birth(c.era.current + 3));
        assert.equal(eraDeath(env.signed!.era, c.era.current + 3), mortal.death(c.era.current + 3));
      } else assert.deepEqual(env.signed!.era, { kind: "immortal" });
    });
  }

  it("refuses truncated, over-long and non-canonical envelopes", () => {
    const bad = [
      new Uint8Array([]),
      new Uint8Array([0x08, 0x84]), // length says 2, one byte follows
      new Uint8Array([0x04, 0x05]), // version 5
      new Uint8Array([0x0c, 0x84, 0x00, 0x01]), // truncated signer
      new Uint8Array([0x05, 0x00, 0x04]), // non-canonical compact length (1 in two-byte mode)
    ];
    for (const b of bad) assert.throws(() => parseEnvelope(b), EnvelopeError, toHex(b));
  });
});
