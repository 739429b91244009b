import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { cryptoReady, toHex } from "@parapipe/primitives";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { expandMetadata } from "@polkadot/types/metadata";
import { compactStripLength } from "@polkadot/util";
import { decodeAccountInfo, encodeAccountInfo } from "../../src/pallets/system.js";
import { alice, paraRuntime } from "./fixtures.js";

describe("parachain runtime metadata and storage layout", () => {
  before(cryptoReady);

  // Source: shared/reference/ecosystem.md §1.5 (computed with polkadot-js, polkadot-js-mock/keys.mjs).
  it("keys System.Account(//Alice) exactly as FRAME does", () => {
    const rt = paraRuntime();
    assert.equal(
      toHex(rt.system.storage.Account.keyFor(alice.publicKey)),
      "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
    );
    assert.equal(
      toHex(rt.system.storage.Events.key),
      "0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7",
    );
  });

  it("decodes with @polkadot/types Metadata and lists every pallet with calls, storage, events, errors, constants", () => {
    const rt = paraRuntime();
    assert.equal(toHex(rt.metadata.subarray(0, 5)), "0x6d6574610e");
    const registry = new TypeRegistry();
    const md = new Metadata(registry, rt.metadata);
    registry.setMetadata(md);
    const pallets = new Map(md.asLatest.pallets.map((p) => [p.name.toString(), p]));
    for (const name of [
      "System",
      "Timestamp",
      "ParachainSystem",
      "ParachainInfo",
      "TransactionPayment",
      "Balances",
      "Inflation",
      "CollatorSelection",
      "Aura",
      "AuraExt",
      "Sudo",
      "Dev",
    ]) {
      assert.ok(pallets.has(name), `pallet ${name}`);
    }
    const consts = expandMetadata(registry, md).consts as unknown as Record<
      string,
      Record<string, { toJSON(): unknown }>
    >;
    assert.equal((consts["system"]!["version"]!.toJSON() as { specVersion: number }).specVersion, 1600);
    assert.equal(consts["aura"]!["slotDuration"]!.toJSON(), 6000);
    assert.equal(consts["system"]!["ss58Prefix"]!.toJSON(), 5);
    assert.equal(pallets.get("Balances")!.index.toNumber(), 31);
    assert.ok(
      pallets.get("Balances")!.errors.isSome &&
        pallets.get("Balances")!.events.isSome &&
        pallets.get("Balances")!.calls.isSome,
    );
    // Storage keys through polkadot-js' own decoration match ours.
    const query = expandMetadata(registry, md).query as unknown as Record<
      string,
      Record<string, (a?: unknown) => Uint8Array>
    >;
    // (polkadot-js storage-key functions return the key with a compact length prefix)
    const key = (k: Uint8Array) => toHex(compactStripLength(k)[1]);
    assert.equal(
      key(query["system"]!["account"]!(alice.publicKey)),
      toHex(rt.system.storage.Account.keyFor(alice.publicKey)),
    );
    assert.equal(
      key(query["parachainSystem"]!["unincludedSegment"]!()),
      toHex(rt.parachainSystem.storage.UnincludedSegment.key),
    );
    assert.deepEqual(registry.signedExtensions, [
      "CheckNonZeroSender",
      "CheckSpecVersion",
      "CheckTxVersion",
      "CheckGenesis",
      "CheckMortality",
      "CheckNonce",
      "CheckWeight",
      "ChargeTransactionPayment",
    ]);
  });

  it("encodes AccountInfo by hand exactly as the registry does", () => {
    const rt = paraRuntime();
    const info = {
      nonce: 7,
      consumers: 1,
      providers: 2,
      sufficients: 3,
      free: 10n ** 24n + 5n,
      reserved: 9n,
      frozen: 0n,
      flags: 1n << 127n,
    };
    const viaRegistry = rt.registry
      .createType("AccountInfo", {
        ...info,
        data: { free: info.free, reserved: info.reserved, frozen: info.frozen, flags: info.flags },
      })
      .toU8a();
    assert.deepEqual(encodeAccountInfo(info), viaRegistry);
    assert.deepEqual(decodeAccountInfo(viaRegistry), info);
  });
});
