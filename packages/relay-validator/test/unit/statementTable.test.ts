import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CheckedStatement, StatementTable } from "../../src/backing/statementTable.js";

const cand = new Uint8Array(32).fill(7);
const st = (kind: CheckedStatement["kind"], validatorIndex: number): CheckedStatement => ({
  kind,
  candidateHash: cand,
  validatorIndex,
  signature: new Uint8Array(64),
});

describe("backing statement table", () => {
  const table = (minimumBackingVotes: number, members: number[]) =>
    new StatementTable({ minimumBackingVotes, groupMembers: () => members });

  it("backs at min(groupSize, minimumBackingVotes) votes from the group", () => {
    const t = table(2, [0, 1, 2]);
    t.track(cand, 0);
    assert.deepEqual(t.import(st("Seconded", 0)), { status: "new", backedNow: false });
    assert.deepEqual(t.import(st("Valid", 1)), { status: "new", backedNow: true });
    assert.equal(t.isBacked(cand), true);
    assert.deepEqual(
      t.validityVotes(cand).map((v) => v.validatorIndex),
      [0, 1],
    );
    // A group of one needs one vote.
    const single = table(2, [3]);
    single.track(cand, 0);
    assert.deepEqual(single.import(st("Seconded", 3)), { status: "new", backedNow: true });
  });

  it("ignores votes from outside the group and duplicates", () => {
    const t = table(2, [0, 1]);
    t.track(cand, 0);
    assert.deepEqual(t.import(st("Valid", 5)), { status: "notInGroup" });
    t.import(st("Seconded", 0));
    assert.deepEqual(t.import(st("Valid", 0)), { status: "duplicate" });
    assert.equal(t.isBacked(cand), false);
  });

  it("catches a validator signing Seconded and Invalid for one candidate and does not count it", () => {
    const t = table(2, [0, 1, 2]);
    t.track(cand, 0);
    t.import(st("Seconded", 0));
    const out = t.import(st("Invalid", 0));
    assert.equal(out.status, "misbehaviour");
    if (out.status === "misbehaviour") assert.equal(out.misbehaviour.validatorIndex, 0);
    // With the offender excluded, one honest vote does not back it.
    t.import(st("Valid", 1));
    assert.equal(t.isBacked(cand), false);
    t.import(st("Valid", 2));
    assert.equal(t.isBacked(cand), true);
    assert.deepEqual([...t.misbehaving], [0]);
  });
});
