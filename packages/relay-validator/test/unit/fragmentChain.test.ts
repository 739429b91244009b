import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FragmentCandidate, FragmentChain, type FragmentScope } from "../../src/prospective/fragmentChain.js";

const h = (n: number) => new Uint8Array(32).fill(n);
const cand = (hash: number, parent: number, output: number, rp: number): FragmentCandidate => ({
  hash: h(hash),
  parentHeadHash: h(parent),
  outputHeadHash: h(output),
  relayParentNumber: rp,
});
const scope = (over: Partial<FragmentScope> = {}): FragmentScope => ({
  leafNumber: 10,
  includedHeadHash: h(1),
  pending: [],
  maxCandidateDepth: 3,
  allowedAncestryLen: 2,
  ...over,
});

/** Semantics of polkadot-sdk prospective-parachains fragment_chain (shared/reference/async-backing.md §3.2). */
describe("fragment chain (prospective parachains)", () => {
  it("chains backed candidates from the included head, in order", () => {
    const fc = new FragmentChain(scope());
    fc.add(cand(10, 1, 2, 9));
    fc.add(cand(11, 2, 3, 10));
    assert.equal(fc.bestBackedChain().length, 0, "seconded is not backed");
    fc.markBacked(h(10));
    fc.markBacked(h(11));
    assert.deepEqual(
      fc.bestBackedChain().map((c) => c.hash[0]),
      [10, 11],
    );
    assert.equal(fc.nextBackable()?.hash[0], 10);
  });

  it("builds on candidates pending availability (async backing)", () => {
    const fc = new FragmentChain(scope({ pending: [cand(10, 1, 2, 9)] }));
    fc.add(cand(11, 2, 3, 10));
    fc.markBacked(h(11));
    assert.equal(fc.nextBackable()?.hash[0], 11);
  });

  it("refuses a relay parent out of the allowed ancestry", () => {
    const fc = new FragmentChain(scope());
    assert.throws(() => fc.add(cand(10, 1, 2, 7)), { code: "RELAY_PARENT_NOT_IN_SCOPE" });
  });

  it("refuses a relay parent that moves backwards from its parent's", () => {
    const fc = new FragmentChain(scope());
    fc.add(cand(10, 1, 2, 10));
    assert.throws(() => fc.add(cand(11, 2, 3, 9)), { code: "RELAY_PARENT_MOVED_BACKWARDS" });
  });

  it("refuses a chain deeper than maxCandidateDepth + 1", () => {
    const fc = new FragmentChain(scope({ maxCandidateDepth: 1 }));
    fc.add(cand(10, 1, 2, 9));
    fc.add(cand(11, 2, 3, 9));
    assert.throws(() => fc.add(cand(12, 3, 4, 9)), { code: "TOO_DEEP" });
  });

  it("resolves a fork by the lowest candidate hash", () => {
    const fc = new FragmentChain(scope());
    fc.add(cand(20, 1, 2, 9));
    fc.add(cand(15, 1, 5, 9));
    fc.markBacked(h(20));
    fc.markBacked(h(15));
    assert.equal(fc.nextBackable()?.hash[0], 15);
  });

  it("refuses a fork of a candidate pending availability and a zero-length cycle", () => {
    const fc = new FragmentChain(scope({ pending: [cand(10, 1, 2, 9)] }));
    assert.throws(() => fc.add(cand(11, 1, 7, 9)), { code: "FORK_WITH_PENDING_AVAILABILITY" });
    assert.throws(() => fc.add(cand(12, 5, 5, 9)), { code: "ZERO_LENGTH_CYCLE" });
  });

  it("with sync parameters {0, 0} only a candidate on the included head with the leaf as relay parent fits", () => {
    const fc = new FragmentChain(scope({ maxCandidateDepth: 0, allowedAncestryLen: 0 }));
    assert.throws(() => fc.add(cand(10, 1, 2, 9)), { code: "RELAY_PARENT_NOT_IN_SCOPE" });
    fc.add(cand(11, 1, 2, 10));
    assert.throws(() => fc.add(cand(12, 2, 3, 10)), { code: "TOO_DEEP" });
    const withPending = new FragmentChain(
      scope({ maxCandidateDepth: 0, allowedAncestryLen: 0, pending: [cand(10, 1, 2, 9)] }),
    );
    assert.throws(() => withPending.add(cand(13, 2, 3, 10)), { code: "TOO_DEEP" });
  });

  it("keeps unconnected candidates until the chain reaches them, and carries candidates to the next leaf", () => {
    const fc = new FragmentChain(scope());
    fc.add(cand(11, 2, 3, 10)); // parent unknown for now
    fc.add(cand(10, 1, 2, 9));
    fc.markBacked(h(10));
    fc.markBacked(h(11));
    assert.deepEqual(
      fc.bestBackedChain().map((c) => c.hash[0]),
      [10, 11],
    );
    const next = new FragmentChain(scope({ leafNumber: 11, pending: [cand(10, 1, 2, 9)] }));
    next.populateFrom(fc);
    assert.equal(next.nextBackable()?.hash[0], 11);
  });
});
