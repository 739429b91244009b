import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  blake2_256,
  bytesEqual,
  cryptoReady,
  devKeypair,
  scaleBytes,
  sr25519Verify,
  toHex,
  twox64,
} from "@parapipe/primitives";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { expandMetadata } from "@polkadot/types/metadata";
import { compactStripLength } from "@polkadot/util";
import { validateBlock } from "../../src/parachain/blocks.js";
import type { DevParachain } from "../../src/parachain/devChain.js";
import { readRelayState, relayKeys } from "../../src/parachain/relayState.js";
import { makeCall, signExtrinsic } from "../../src/parachain/signing.js";
import {
  ASYNC_HOST_CONFIGURATION,
  availabilityThreshold,
  backingStatementPayload,
  bitfieldSigningPayload,
  buildRelayBlock,
  candidateHash,
  collateOnRelay,
  collatorSignaturePayload,
  computeValidatorGroups,
  DevRelayChain,
  decodeBackedCandidate,
  decodeRelayCode,
  encodeBackedCandidate,
  encodeBitVec,
  encodeCompactStatement,
  executeRelayBlock,
  groupForCoreAt,
  RELAY_PALLET_INDEX,
  type RelayHostConfiguration,
  RelayRuntime,
  relayRegistry,
  relayRuntimeFromCode,
  SYNC_HOST_CONFIGURATION,
} from "../../src/relay/index.js";
import { devChain } from "./fixtures.js";

const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"].map((n) => devKeypair(n));

/** A relay chain of 4 dev validators with para 2000 (a real dev parachain) registered at genesis. */
function setup(host: Partial<RelayHostConfiguration> = {}): { relay: DevRelayChain; para: DevParachain } {
  const para = devChain("async");
  const runtime = new RelayRuntime({
    specVersion: 1,
    slotDurationMs: 6000,
    existentialDeposit: 10_000_000_000n,
    ss58Prefix: 42,
    hostConfiguration: { ...ASYNC_HOST_CONFIGURATION, ...host },
    validators: VALIDATORS.map((k) => k.publicKey),
  });
  const relay = new DevRelayChain(runtime, {
    balances: [[VALIDATORS[0]!.publicKey, 10n ** 18n]],
    sudoKey: VALIDATORS[0]!.publicKey,
    paras: [{ paraId: 2000, genesisHead: para.head.header, validationCode: para.runtime.code }],
  });
  return { relay, para };
}

describe("relay runtime: genesis, storage layout and metadata", () => {
  before(cryptoReady);

  // Keys from shared/reference/ecosystem.md §1.5 (computed with polkadot-js).
  it("stores Paras.Heads(2000) under the FRAME key and Paras.Parachains = [2000]", () => {
    const { relay, para } = setup();
    const state = relay.runtime.stateAt(relay.store, relay.head.stateRoot);
    const id = new Uint8Array([0xd0, 0x07, 0, 0]);
    const headsKey = `0xcd710b30bd2eab0352ddcc26417aa1941b3c252fcb29d88eff4f3de5de4476c3${toHex(twox64(id)).slice(2)}d0070000`;
    assert.equal(toHex(relayKeys.paraHead(2000)), headsKey);
    assert.equal(toHex(state.get(relayKeys.paraHead(2000))!), toHex(scaleBytes(para.head.header)));
    const parachainsKey = "0xcd710b30bd2eab0352ddcc26417aa1940b76934f4cc08dee01012d059e1b83ee";
    assert.equal(toHex(relay.runtime.paras.storage.Parachains.key), parachainsKey);
    assert.equal(toHex(state.get(relay.runtime.paras.storage.Parachains.key)!), "0x04d0070000");
    // The relay slot lives where parachains read it.
    assert.equal(toHex(relay.runtime.aura.storage.CurrentSlot.key), toHex(relayKeys.currentSlot));
    // Validation code hash = blake2_256(code).
    const codeHash = relay.runtime.validationCodeHash(relay.store, relay.head.stateRoot, 2000);
    assert.ok(codeHash.ok);
    assert.equal(toHex(codeHash.value!), toHex(blake2_256(para.runtime.code)));
  });

  it("has metadata polkadot-js decodes, with Polkadot's pallet indexes and a decodable paras.heads(2000)", () => {
    const { relay, para } = setup();
    const registry = new TypeRegistry();
    const md = new Metadata(registry, relay.runtime.metadata);
    registry.setMetadata(md);
    const pallets = new Map(md.asLatest.pallets.map((p) => [p.name.toString(), p.index.toNumber()]));
    assert.deepEqual(Object.fromEntries(pallets), RELAY_PALLET_INDEX);
    const query = expandMetadata(registry, md).query as unknown as Record<
      string,
      Record<string, ((a?: unknown) => Uint8Array) & { meta: { type: { asMap: { value: number } } } }>
    >;
    const heads = query["paras"]!["heads"]!;
    assert.equal(toHex(compactStripLength(heads(2000))[1]), toHex(relayKeys.paraHead(2000)));
    const raw = relay.runtime.stateAt(relay.store, relay.head.stateRoot).get(relayKeys.paraHead(2000))!;
    const value = registry.createType(registry.createLookupType(heads.meta.type.asMap.value), raw);
    assert.equal(toHex(value.toU8a(true)), toHex(para.head.header));
    assert.equal(
      toHex(compactStripLength(query["aura"]!["currentSlot"]!())[1]),
      toHex(relayKeys.currentSlot),
      "Aura.CurrentSlot",
    );
    // The inherent's call and the inclusion events are in the metadata.
    const calls = registry.lookup.getSiType(
      md.asLatest.pallets.find((p) => p.name.eq("ParaInherent"))!.calls.unwrap().type,
    );
    assert.deepEqual(
      calls.def.asVariant.variants.map((v) => v.name.toString()),
      ["enter"],
    );
  });

  it("puts the config in :code and a runtime from that code is the same runtime", () => {
    const { relay } = setup();
    const state = relay.runtime.stateAt(relay.store, relay.head.stateRoot);
    const code = state.get(new TextEncoder().encode(":code"))!;
    assert.equal(new TextDecoder().decode(code.subarray(0, 22)), "parapipe-relay-runtime");
    assert.equal(code[22], 0);
    const cfg = decodeRelayCode(code)!;
    assert.deepEqual(cfg.hostConfiguration, relay.runtime.config.hostConfiguration);
    assert.equal(cfg.validators.length, 4);
    assert.equal(toHex(relayRuntimeFromCode(code).metadata), toHex(relay.runtime.metadata));
    assert.equal(decodeRelayCode(new TextEncoder().encode("parapipe-relay-runtime")), undefined);
  });

  it("emits Session.NewSession for session 0 in block 1 and imports its own blocks to the same root", () => {
    const { relay } = setup();
    const parent = relay.head.header;
    const b1 = relay.produce();
    assert.deepEqual(
      b1.events.filter((e) => e.pallet === "Session").map((e) => [e.name, String(e.fields["session_index"])]),
      [["NewSession", "0"]],
    );
    const executed = executeRelayBlock(relay.runtime, relay.store, b1.block, { parentHeader: parent });
    assert.ok(executed.ok, executed.ok ? "" : executed.error.message);
    assert.equal(toHex(executed.value.stateRoot), toHex(b1.stateRoot));
    assert.equal(relay.head.slot, 1n);
    const b2 = relay.produce();
    assert.equal(b2.events.filter((e) => e.pallet === "Session").length, 0);

    // polkadot-js decodes the block's inherents and events with the metadata alone.
    const registry = new TypeRegistry();
    registry.setMetadata(new Metadata(registry, relay.runtime.metadata));
    const methods = b1.extrinsics.map((x) => {
      const ext = registry.createType("Extrinsic", x);
      return `${ext.method.section}.${ext.method.method}`;
    });
    assert.deepEqual(methods, ["timestamp.set", "paraInherent.enter"]);
    const state = relay.runtime.stateAt(relay.store, relay.blocks[1]!.stateRoot);
    const events = registry.createType("Vec<EventRecord>", state.get(relay.runtime.system.storage.Events.key)!);
    assert.deepEqual(
      (events as unknown as Array<{ event: { section: string; method: string } }>).map(
        (e) => `${e.event.section}.${e.event.method}`,
      ),
      ["session.NewSession", "system.ExtrinsicSuccess", "system.ExtrinsicSuccess"],
    );
  });

  it("lets root switch the host from sync to async backing parameters (Configuration.set_async_backing_params)", () => {
    const { relay } = setup(SYNC_HOST_CONFIGURATION);
    relay.produce();
    const rt = relay.runtime;
    const reg = rt.registry;
    const inner = makeCall(reg, "configuration", "setAsyncBackingParams", [
      { maxCandidateDepth: 3, allowedAncestryLen: 2 },
    ]);
    const tx = signExtrinsic(reg, makeCall(reg, "sudo", "sudo", [inner]), VALIDATORS[0]!, {
      nonce: 0,
      genesisHash: relay.blocks[0]!.hash,
      specVersion: rt.version.specVersion,
      transactionVersion: rt.version.transactionVersion,
    });
    const b = relay.produce({ transactions: [tx] });
    assert.equal(b.included.length, 1, b.rejected[0] ? JSON.stringify(b.rejected[0].error) : "");
    assert.deepEqual(
      b.events.filter((e) => e.pallet === "Sudo").map((e) => (e.fields["sudo_result"] as { Ok?: null }).Ok),
      [null],
    );
    const params = rt.asyncBackingParams(relay.store, relay.head.stateRoot);
    assert.ok(params.ok);
    assert.deepEqual(params.value, { maxCandidateDepth: 3, allowedAncestryLen: 2 });
    // From the next block on, three relay parents are allowed.
    relay.produce();
    relay.produce();
    const allowed = rt.allowedRelayParents(relay.store, relay.head.stateRoot);
    assert.ok(allowed.ok);
    assert.deepEqual(
      allowed.value.map((a) => a.number),
      [1, 2, 3],
    );
  });

  it("refuses a block sealed by someone who is not the slot's author", () => {
    const { relay } = setup();
    const r = relay.runtime;
    const author = r.slotAuthor(relay.store, relay.head.stateRoot, 1n);
    assert.ok(author.ok && bytesEqual(author.value!, VALIDATORS[1]!.publicKey), "slot 1 is Bob's");
    // Charlie cannot author Bob's slot.
    const stolen = buildRelayBlock(r, {
      store: relay.store,
      parentHeader: relay.head.header,
      slot: 1n,
      author: VALIDATORS[2]!,
    });
    assert.ok(!stolen.ok);
    assert.equal(stolen.error.code, "BAD_SEAL");
    // A block whose seal was tampered with is refused on import.
    const built = relay.build({ slot: 1n });
    assert.ok(built.ok);
    const forged = new Uint8Array(built.value.block);
    const lastSealByte = built.value.header.toU8a().length - 1;
    forged[lastSealByte] = forged[lastSealByte]! ^ 0xff;
    const bad = executeRelayBlock(r, relay.store, forged, { parentHeader: relay.head.header });
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, "BAD_SEAL");
  });

  it("lets a parachain block be built on a real relay block: the relay slot and head come from a relay state proof", () => {
    const { relay, para } = setup();
    relay.produce(); // #1, slot 1
    const proof = relay.paraStateProof(1, 2000);
    const view = readRelayState(relay.head.stateRoot, proof, 2000);
    assert.equal(view.relaySlot, 1n);
    assert.equal(toHex(view.includedHeadHash!), toHex(para.head.hash));

    const col = collateOnRelay(para, relay, 1);
    assert.equal(col.block.header.number.toNumber(), 1);
    // The PVF accepts the PoV with the relay's validation data, and outputs the candidate's head.
    const params = para.runtime.registry
      .createType("ValidationParams", {
        parentHead: scaleBytes(col.pvd.parentHead),
        blockData: scaleBytes(col.block.pov),
        relayParentNumber: col.pvd.relayParentNumber,
        relayParentStorageRoot: col.pvd.relayParentStorageRoot,
      })
      .toU8a();
    const v = validateBlock(para.runtime, params);
    assert.ok(v.ok, v.ok ? "" : v.error.message);
    assert.equal(toHex(v.value.headData), toHex(col.candidate.commitments.headData));
    // The relay's PVD for the para at #1 is the one the collator used.
    const pvd = relay.runtime.persistedValidationData(relay.store, relay.head.stateRoot, 2000);
    assert.ok(pvd.ok);
    assert.deepEqual(pvd.value, col.pvd);
  });
});

describe("relay wire encodings (polkadot-sdk primitives v8)", () => {
  before(cryptoReady);

  it("encodes CompactStatement with the BKNG magic and Seconded = 1, Valid = 2", () => {
    const h = new Uint8Array(32).fill(7);
    assert.equal(toHex(encodeCompactStatement("Seconded", h)), `0x424b4e4701${"07".repeat(32)}`);
    assert.equal(toHex(encodeCompactStatement("Valid", h)), `0x424b4e4702${"07".repeat(32)}`);
    const ctx = { sessionIndex: 5, parentHash: new Uint8Array(32).fill(9) };
    assert.equal(
      toHex(backingStatementPayload("Valid", h, ctx)),
      `0x424b4e4702${"07".repeat(32)}05000000${"09".repeat(32)}`,
    );
  });

  it("lays the collator signature payload out as relay_parent ++ para_id LE ++ pvd ++ pov ++ code hash (132 bytes)", () => {
    const p = collatorSignaturePayload({
      relayParent: new Uint8Array(32).fill(1),
      paraId: 5,
      persistedValidationDataHash: new Uint8Array(32).fill(2),
      povHash: new Uint8Array(32).fill(3),
      validationCodeHash: new Uint8Array(32).fill(4),
    });
    assert.equal(p.length, 132);
    assert.equal(toHex(p), `0x${"01".repeat(32)}05000000${"02".repeat(32)}${"03".repeat(32)}${"04".repeat(32)}`);
  });

  it("encodes BitVec<u8, Lsb0> and bitfield payloads as bitvec ++ SigningContext", () => {
    assert.equal(toHex(encodeBitVec([true, false, true])), "0x0c05");
    assert.equal(toHex(encodeBitVec(new Array(9).fill(true))), "0x24ff01");
    const ctx = { sessionIndex: 0, parentHash: new Uint8Array(32) };
    assert.equal(toHex(bitfieldSigningPayload([true], ctx)), `0x040100000000${"00".repeat(32)}`);
  });

  it("round-trips a BackedCandidate with ValidityAttestation Implicit = 1, Explicit = 2", () => {
    const d = {
      paraId: 2000,
      relayParent: new Uint8Array(32).fill(1),
      collator: new Uint8Array(32).fill(2),
      persistedValidationDataHash: new Uint8Array(32).fill(3),
      povHash: new Uint8Array(32).fill(4),
      erasureRoot: new Uint8Array(32),
      signature: new Uint8Array(64).fill(5),
      paraHead: new Uint8Array(32).fill(6),
      validationCodeHash: new Uint8Array(32).fill(7),
    };
    const b = {
      candidate: {
        descriptor: d,
        commitments: {
          upwardMessages: [],
          horizontalMessages: [],
          headData: new Uint8Array([1, 2, 3]),
          processedDownwardMessages: 0,
          hrmpWatermark: 9,
        },
      },
      validityVotes: [
        { kind: "Implicit" as const, signature: new Uint8Array(64).fill(8) },
        { kind: "Explicit" as const, signature: new Uint8Array(64).fill(9) },
      ],
      validatorIndices: [true, false, true, false],
    };
    const bytes = encodeBackedCandidate(b);
    const votesAt = bytes.length - 2 - 2 * 65 - 1;
    assert.equal(bytes[votesAt], 2 << 2, "two votes");
    assert.equal(bytes[votesAt + 1], 1, "Implicit = 1");
    assert.equal(bytes[votesAt + 66], 2, "Explicit = 2");
    assert.equal(toHex(bytes.subarray(bytes.length - 2)), "0x1005", "4 bits 1010 (Lsb0)");
    const back = decodeBackedCandidate(bytes);
    assert.deepEqual(back.validatorIndices, b.validatorIndices);
    assert.deepEqual(back.validityVotes, b.validityVotes);
    assert.deepEqual(back.candidate.commitments.headData, b.candidate.commitments.headData);
    assert.equal(back.candidate.commitments.newValidationCode, undefined);
    // polkadot-js' own BackedCandidate reads the same bytes.
    const builtin = new TypeRegistry().createType("BackedCandidate", bytes);
    assert.equal(builtin.encodedLength, bytes.length);
    assert.equal(relayRegistry.createType("BackedCandidate", bytes).toHex(), toHex(bytes));
  });

  it("signs backing votes over CompactStatement in the context {session, relay parent}", () => {
    const { relay } = setup();
    const h = blake2_256(new Uint8Array([1]));
    const candidate = {
      descriptor: {
        paraId: 2000,
        relayParent: relay.head.hash,
        collator: VALIDATORS[0]!.publicKey,
        persistedValidationDataHash: h,
        povHash: h,
        erasureRoot: h,
        signature: new Uint8Array(64),
        paraHead: h,
        validationCodeHash: h,
      },
      commitments: {
        upwardMessages: [],
        horizontalMessages: [],
        headData: new Uint8Array([1]),
        processedDownwardMessages: 0,
        hrmpWatermark: 0,
      },
    };
    const backed = relay.back(candidate, [{ validator: 2 }, { validator: 0 }]);
    // One group of 4 (devnet): bits at the signers' positions, votes in bit order.
    assert.deepEqual(backed.validatorIndices, [true, false, true, false]);
    assert.deepEqual(
      backed.validityVotes.map((v) => v.kind),
      ["Explicit", "Implicit"],
    );
    const ctx = { sessionIndex: 0, parentHash: relay.head.hash };
    const hash = candidateHash(candidate);
    const seconded = backed.validityVotes[1]!.signature;
    assert.ok(sr25519Verify(seconded, backingStatementPayload("Seconded", hash, ctx), VALIDATORS[2]!.publicKey));
    assert.ok(!sr25519Verify(seconded, backingStatementPayload("Valid", hash, ctx), VALIDATORS[2]!.publicKey));
    assert.ok(!sr25519Verify(seconded, backingStatementPayload("Seconded", hash, ctx), VALIDATORS[0]!.publicKey));
  });

  it("has the upstream supermajority threshold n - (n-1)/3", () => {
    // polkadot-sdk primitives v8 `test_supermajority_threshold`.
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(availabilityThreshold), [0, 1, 2, 3, 3, 4, 5, 5]);
  });

  it("splits validators into groups of at most maxValidatorsPerCore and rotates them over the cores", () => {
    assert.deepEqual(computeValidatorGroups(4, 1, 5), [[0, 1, 2, 3]]);
    assert.deepEqual(computeValidatorGroups(4, 1, 2), [
      [0, 1],
      [2, 3],
    ]);
    assert.deepEqual(computeValidatorGroups(5, 2, 5), [
      [0, 1, 2],
      [3, 4],
    ]);
    assert.deepEqual(computeValidatorGroups(2, 3, 5), [[0], [1]]);
    const r = (now: number) => groupForCoreAt(0, 2, { sessionStartBlock: 0, groupRotationFrequency: 10, now });
    assert.deepEqual([r(1), r(9), r(10), r(19), r(20)], [0, 0, 1, 1, 0]);
    assert.equal(groupForCoreAt(1, 2, { sessionStartBlock: 0, groupRotationFrequency: 0, now: 100 }), 1);
  });
});
