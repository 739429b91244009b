import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { blake2_256, cryptoReady, devKeypair, toHex } from "@parapipe/primitives";
import type { Codec } from "@polkadot/types/types";
import type { EmittedEvent } from "../../src/frame/pallet.js";
import type { DevParachain } from "../../src/parachain/devChain.js";
import {
  ASYNC_HOST_CONFIGURATION,
  type BackedCandidateValue,
  type BuiltRelayBlock,
  CandidateError,
  type CandidateErrorType,
  candidateHash,
  collateOnRelay,
  DevRelayChain,
  executeRelayBlock,
  makeCandidate,
  type RelayHostConfiguration,
  RelayRuntime,
  SYNC_HOST_CONFIGURATION,
} from "../../src/relay/index.js";
import { devChain } from "./fixtures.js";

const VALIDATORS = ["Alice", "Bob", "Charlie", "Dave"].map((n) => devKeypair(n));

/** 4 dev validators, para 2000 (a real dev parachain, async runtime) registered at genesis. */
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
    paras: [{ paraId: 2000, genesisHead: para.head.header, validationCode: para.runtime.code }],
  });
  return { relay, para };
}

/** Produces the next relay block and checks that importing it gives the same state root. */
function produce(relay: DevRelayChain, opts: Parameters<DevRelayChain["produce"]>[0] = {}): BuiltRelayBlock {
  const parentHeader = relay.head.header;
  const b = relay.produce(opts);
  const imported = executeRelayBlock(relay.runtime, relay.store, b.block, { parentHeader });
  assert.ok(imported.ok, imported.ok ? "" : imported.error.message);
  assert.equal(toHex(imported.value.stateRoot), toHex(b.stateRoot));
  return b;
}

const inclusionEvents = (b: BuiltRelayBlock, name: string): EmittedEvent[] =>
  b.events.filter((e) => e.pallet === "ParaInclusion" && e.name === name);
const receiptHash = (e: EmittedEvent) => toHex(blake2_256((e.fields["candidate_receipt"] as Codec).toU8a()));

function pendingHashes(relay: DevRelayChain): string[] {
  const r = relay.runtime.candidatePendingAvailability(relay.store, relay.head.stateRoot, 2000);
  assert.ok(r.ok);
  return r.value.map((c) => toHex(c.hash));
}

function includedHead(relay: DevRelayChain): string {
  const r = relay.runtime.paraHead(relay.store, relay.head.stateRoot, 2000);
  assert.ok(r.ok);
  return toHex(r.value!);
}

/** Builds a block with one candidate and asserts it was refused with `code`, the block staying valid. */
function assertRefused(relay: DevRelayChain, backed: BackedCandidateValue, code: CandidateErrorType["code"]): void {
  const b = produce(relay, { backedCandidates: [backed] });
  assert.equal(inclusionEvents(b, "CandidateBacked").length, 0, "no CandidateBacked");
  assert.equal(b.paraInherent.rejected.length, 1);
  const err = b.paraInherent.rejected[0]!.error;
  assert.ok(err instanceof CandidateError);
  assert.equal(err.code, code, err.message);
  assert.equal(toHex(b.paraInherent.rejected[0]!.candidateHash), toHex(candidateHash(backed.candidate)));
}

describe("paras host: backing and inclusion", () => {
  before(cryptoReady);

  it("backs a candidate with 2 valid votes and includes it once 3 of 4 validators attest availability", () => {
    const { relay, para } = setup();
    produce(relay); // #1
    const col = collateOnRelay(para, relay, 1);
    const backed = relay.back(col.candidate, [{ validator: 0 }, { validator: 1 }]);
    const b2 = produce(relay, { backedCandidates: [backed] });
    const ev = inclusionEvents(b2, "CandidateBacked");
    assert.equal(ev.length, 1);
    assert.equal(receiptHash(ev[0]!), toHex(candidateHash(col.candidate)));
    assert.equal(ev[0]!.fields["core_index"], 0);
    assert.equal(ev[0]!.fields["group_index"], 0);
    assert.equal(toHex((ev[0]!.fields["head_data"] as Codec).toU8a(true)), toHex(col.block.header.toU8a()));
    assert.deepEqual(pendingHashes(relay), [toHex(candidateHash(col.candidate))]);
    assert.equal(includedHead(relay), toHex(para.blocks[0]!.header), "not included yet");

    // Two attestations are not enough (threshold 4 - 3/3 = 3); they are kept.
    const b3 = produce(relay, { bitfields: relay.bitfields([0, 1]) });
    assert.equal(inclusionEvents(b3, "CandidateIncluded").length, 0);
    const cores = relay.runtime.availabilityCores(relay.store, relay.head.stateRoot);
    assert.ok(cores.ok && cores.value[0]!.kind === "occupied");
    assert.deepEqual(cores.value[0]!.availability, [true, true, false, false]);

    // The third one makes it available: enacted, Paras.Heads = the parablock's header.
    const b4 = produce(relay, { bitfields: relay.bitfields([3]) });
    const inc = inclusionEvents(b4, "CandidateIncluded");
    assert.equal(inc.length, 1);
    assert.equal(receiptHash(inc[0]!), toHex(candidateHash(col.candidate)));
    assert.equal(includedHead(relay), toHex(col.block.header.toU8a()));
    assert.deepEqual(pendingHashes(relay), []);
    const state = relay.runtime.stateAt(relay.store, relay.head.stateRoot);
    assert.equal(relay.runtime.paras.mostRecentContext(state, 2000), 1);
  });

  it("with async backing, lets the next candidate build on the pending one in the next block; both are included in order", () => {
    const { relay, para } = setup();
    produce(relay); // #1
    const c1 = collateOnRelay(para, relay, 1);
    produce(relay, { backedCandidates: [relay.back(c1.candidate, [{ validator: 0 }, { validator: 1 }])] }); // #2
    // P2 builds on P1, which is only pending availability at relay parent #2.
    const c2 = collateOnRelay(para, relay, 2);
    const b3 = produce(relay, { backedCandidates: [relay.back(c2.candidate, [{ validator: 2 }, { validator: 3 }])] });
    assert.equal(inclusionEvents(b3, "CandidateBacked").length, 1, b3.paraInherent.rejected[0]?.error.message);
    assert.deepEqual(pendingHashes(relay), [toHex(candidateHash(c1.candidate)), toHex(candidateHash(c2.candidate))]);
    const pvd = relay.runtime.persistedValidationData(relay.store, relay.head.stateRoot, 2000, "Included");
    assert.ok(pvd.ok);
    assert.equal(
      toHex(pvd.value!.parentHead),
      toHex(c2.block.header.toU8a()),
      "a collator builds on the latest pending",
    );

    // A core's bit counts for its first pending candidate: P1 first, then P2.
    const b4 = produce(relay, { bitfields: relay.bitfields([0, 1, 2, 3]) });
    assert.deepEqual(inclusionEvents(b4, "CandidateIncluded").map(receiptHash), [toHex(candidateHash(c1.candidate))]);
    assert.equal(includedHead(relay), toHex(c1.block.header.toU8a()));
    const b5 = produce(relay, { bitfields: relay.bitfields([0, 1, 2]) });
    assert.deepEqual(inclusionEvents(b5, "CandidateIncluded").map(receiptHash), [toHex(candidateHash(c2.candidate))]);
    assert.equal(includedHead(relay), toHex(c2.block.header.toU8a()));
  });

  it("with sync backing {0, 0}, refuses a candidate on a pending parent and any relay parent but the parent block", () => {
    const { relay, para } = setup(SYNC_HOST_CONFIGURATION);
    produce(relay); // #1
    const c1 = collateOnRelay(para, relay, 1);
    const b2 = produce(relay, { backedCandidates: [relay.back(c1.candidate, [{ validator: 0 }, { validator: 1 }])] });
    assert.equal(inclusionEvents(b2, "CandidateBacked").length, 1);
    const allowed = relay.runtime.allowedRelayParents(relay.store, relay.head.stateRoot);
    assert.ok(allowed.ok);
    assert.deepEqual(
      allowed.value.map((a) => a.number),
      [1],
      "only the parent",
    );

    const c2 = collateOnRelay(para, relay, 2);
    assertRefused(relay, relay.back(c2.candidate, [{ validator: 0 }, { validator: 1 }]), "PARA_OCCUPIED");
    // #4: a candidate with relay parent #2 is two blocks old.
    assertRefused(relay, relay.back(c2.candidate, [{ validator: 0 }, { validator: 1 }]), "RELAY_PARENT_OUT_OF_SCOPE");
  });

  it("backs at most one new candidate per core in a block", () => {
    const { relay, para } = setup();
    produce(relay); // #1
    const c1 = collateOnRelay(para, relay, 1);
    const c2 = collateOnRelay(para, relay, 1);
    const b2 = produce(relay, {
      backedCandidates: [
        relay.back(c1.candidate, [{ validator: 0 }, { validator: 1 }]),
        relay.back(c2.candidate, [{ validator: 0 }, { validator: 1 }]),
      ],
    });
    assert.deepEqual(inclusionEvents(b2, "CandidateBacked").map(receiptHash), [toHex(candidateHash(c1.candidate))]);
    assert.equal(b2.paraInherent.rejected.length, 1);
    assert.equal(b2.paraInherent.rejected[0]!.index, 1);
    assert.equal(b2.paraInherent.rejected[0]!.error.code, "CORE_ALREADY_BACKED");
  });

  it("makes a block that carries a refused candidate invalid (the author must filter it out)", () => {
    const { relay, para } = setup();
    produce(relay);
    const col = collateOnRelay(para, relay, 1);
    const r = relay.build({
      backedCandidates: [relay.back(col.candidate, [{ validator: 0 }])],
      filterCandidates: false,
    });
    assert.ok(!r.ok);
    assert.equal(r.error.code, "INHERENT_FAILED");
    const cause = (r.error as Error).cause;
    assert.ok(cause instanceof CandidateError);
    assert.equal(cause.code, "INSUFFICIENT_BACKING");
    assert.equal(cause.upstream, "InsufficientBacking");
  });
});

describe("paras host: refused candidates, with their reason", () => {
  before(cryptoReady);

  it("refuses a relay parent out of scope (older than allowedAncestryLen + 1 blocks)", () => {
    const { relay, para } = setup();
    for (let i = 0; i < 5; i++) produce(relay); // #1..#5
    const col = collateOnRelay(para, relay, 1);
    // In #6 the allowed relay parents are #3, #4, #5.
    assertRefused(relay, relay.back(col.candidate, [{ validator: 0 }, { validator: 1 }]), "RELAY_PARENT_OUT_OF_SCOPE");
  });

  it("refuses a relay parent older than the para's most recent context", () => {
    const { relay, para } = setup();
    produce(relay); // #1
    produce(relay); // #2
    const c1 = collateOnRelay(para, relay, 2);
    produce(relay, { backedCandidates: [relay.back(c1.candidate, [{ validator: 0 }, { validator: 1 }])] }); // #3
    // A (synthetic) child of P1 claiming relay parent #1, before P1's #2.
    const child = makeCandidate({
      paraId: 2000,
      relayParent: relay.block(1).hash,
      collator: VALIDATORS[0]!,
      pvd: { ...c1.pvd, parentHead: c1.block.header.toU8a(), relayParentNumber: 1 },
      pov: new Uint8Array([1]),
      headData: new Uint8Array([1, 2, 3]),
      validationCodeHash: blake2_256(para.runtime.code),
    });
    assertRefused(relay, relay.back(child, [{ validator: 0 }, { validator: 1 }]), "RELAY_PARENT_MOVED_BACKWARDS");
  });

  it("refuses insufficient backing votes (1 < min(group size 4, minimumBackingVotes 2))", () => {
    const { relay, para } = setup();
    produce(relay);
    const col = collateOnRelay(para, relay, 1);
    assertRefused(relay, relay.back(col.candidate, [{ validator: 3 }]), "INSUFFICIENT_BACKING");
  });

  it("refuses a vote from a validator outside the core's backing group", () => {
    // Groups of at most 2: [0, 1] and [2, 3]; core 0 has group 0 until block 10.
    const { relay, para } = setup({ maxValidatorsPerCore: 2 });
    produce(relay);
    const col = collateOnRelay(para, relay, 1);
    const outsider = relay.back(col.candidate, [{ validator: 0 }, { validator: 2, position: 1 }]);
    assertRefused(relay, outsider, "VALIDATOR_NOT_IN_GROUP");
    // The group's own members back it.
    const b = produce(relay, { backedCandidates: [relay.back(col.candidate, [{ validator: 0 }, { validator: 1 }])] });
    assert.equal(inclusionEvents(b, "CandidateBacked").length, 1);
    assert.equal(inclusionEvents(b, "CandidateBacked")[0]!.fields["group_index"], 0);
  });

  it("refuses a candidate whose collator signature does not verify", () => {
    const { relay, para } = setup();
    produce(relay);
    const col = collateOnRelay(para, relay, 1);
    const forged = {
      ...col.candidate,
      descriptor: { ...col.candidate.descriptor, collator: VALIDATORS[3]!.publicKey },
    };
    assertRefused(relay, relay.back(forged, [{ validator: 0 }, { validator: 1 }]), "NOT_COLLATOR_SIGNED");
  });

  it("refuses a persisted validation data hash that is not the relay's", () => {
    const { relay, para } = setup();
    produce(relay);
    const col = collateOnRelay(para, relay, 1);
    const wrongPvd = makeCandidate({
      paraId: 2000,
      relayParent: col.candidate.descriptor.relayParent,
      collator: VALIDATORS[0]!,
      pvd: { ...col.pvd, maxPovSize: col.pvd.maxPovSize - 1 },
      pov: col.block.pov,
      headData: col.block.header.toU8a(),
      validationCodeHash: col.candidate.descriptor.validationCodeHash,
    });
    assertRefused(relay, relay.back(wrongPvd, [{ validator: 0 }, { validator: 1 }]), "VALIDATION_DATA_HASH_MISMATCH");
  });

  it("refuses a candidate that does not build on the para's latest head", () => {
    const { relay, para } = setup();
    produce(relay);
    collateOnRelay(para, relay, 1); // P1, never backed
    const p2 = collateOnRelay(para, relay, 1); // builds on P1
    assertRefused(relay, relay.back(p2.candidate, [{ validator: 0 }, { validator: 1 }]), "WRONG_PARENT_HEAD");
  });
});

describe("paras host: availability timeouts and bitfields", () => {
  before(cryptoReady);

  it("times a candidate out after availabilityPeriod blocks without availability", () => {
    const { relay, para } = setup({ availabilityPeriod: 3 });
    produce(relay); // #1
    const col = collateOnRelay(para, relay, 1);
    produce(relay, { backedCandidates: [relay.back(col.candidate, [{ validator: 0 }, { validator: 1 }])] }); // #2
    produce(relay, { bitfields: relay.bitfields([0]) }); // #3: 1 vote
    const b4 = produce(relay); // #4
    assert.equal(inclusionEvents(b4, "CandidateTimedOut").length, 0);
    const b5 = produce(relay); // #5 = 2 + 3
    const out = inclusionEvents(b5, "CandidateTimedOut");
    assert.deepEqual(out.map(receiptHash), [toHex(candidateHash(col.candidate))]);
    assert.equal(out[0]!.fields["core_index"], 0);
    assert.deepEqual(pendingHashes(relay), []);
    assert.equal(includedHead(relay), toHex(para.blocks[0]!.header), "head unchanged");
  });

  it("drops the descendants of a timed-out candidate with it", () => {
    const { relay, para } = setup({ availabilityPeriod: 3 });
    produce(relay); // #1
    const c1 = collateOnRelay(para, relay, 1);
    produce(relay, { backedCandidates: [relay.back(c1.candidate, [{ validator: 0 }, { validator: 1 }])] }); // #2
    const c2 = collateOnRelay(para, relay, 2);
    produce(relay, { backedCandidates: [relay.back(c2.candidate, [{ validator: 0 }, { validator: 1 }])] }); // #3
    produce(relay); // #4
    const b5 = produce(relay); // #5
    assert.deepEqual(inclusionEvents(b5, "CandidateTimedOut").map(receiptHash), [
      toHex(candidateHash(c1.candidate)),
      toHex(candidateHash(c2.candidate)),
    ]);
    assert.deepEqual(pendingHashes(relay), []);
  });

  it("ignores bitfields with bad signatures, wrong length, duplicates or unknown validators", () => {
    const { relay, para } = setup();
    produce(relay); // #1
    const col = collateOnRelay(para, relay, 1);
    produce(relay, { backedCandidates: [relay.back(col.candidate, [{ validator: 0 }, { validator: 1 }])] }); // #2
    const good = relay.bitfields([0, 1, 2, 3]);
    const forged = { ...good[1]!, signature: good[1]!.signature.map((x, i) => (i === 0 ? x ^ 1 : x)) };
    const bitfields = [
      good[0]!, // valid
      forged, // bad signature
      { ...good[2]!, payload: [true, true] }, // wrong length
      good[2]!, // valid
      good[2]!, // duplicate
      { ...good[3]!, validatorIndex: 7 }, // unknown validator
    ];
    const b3 = produce(relay, { bitfields });
    assert.deepEqual(
      b3.paraInherent.droppedBitfields.map((d) => [d.index, d.reason]),
      [
        [1, "BAD_SIGNATURE"],
        [2, "WRONG_LENGTH"],
        [4, "UNSORTED_OR_DUPLICATE"],
        [5, "VALIDATOR_INDEX_OUT_OF_BOUNDS"],
      ],
    );
    // Only validators 0 and 2 counted: 2 < 3, not included.
    assert.equal(inclusionEvents(b3, "CandidateIncluded").length, 0);
    const cores = relay.runtime.availabilityCores(relay.store, relay.head.stateRoot);
    assert.ok(cores.ok && cores.value[0]!.kind === "occupied");
    assert.deepEqual(cores.value[0]!.availability, [true, false, true, false]);
  });
});
