import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { blake2_256, toHex } from "@parapipe/primitives";
import {
  type ParentChoice,
  type ParentSearchInput,
  type SelectableBlock,
  selectParent,
  shouldBuild,
} from "../../src/index.js";

const h = (name: string) => blake2_256(new TextEncoder().encode(name));
const relay = (n: number) => h(`relay-${n}`);

/** A synthetic segment block `name` on `parent` with relay parent number `rp`. */
function b(name: string, parent: string, number: number, rp: number): SelectableBlock & { name: string } {
  return { name, hash: h(name), parentHash: h(parent), number, relayParentNumber: rp, relayParentHash: relay(rp) };
}

const names = new Map<string, string>();
for (const n of ["I", "P1", "P2", "A", "B", "C", "D", "X", "Y", "Z", "Q"]) names.set(toHex(h(n)), n);
const nameOf = (c: ParentChoice) => names.get(toHex(c.hash)) ?? toHex(c.hash);

// "x" and "y" below are ordered by hash so the tie-break case states which one is lower.
const [low, high] = [h("X"), h("Y")].map(toHex).sort();
const lowName = names.get(low!)!;
const highName = names.get(high!)!;

interface Case {
  name: string;
  pending?: string[];
  entries: SelectableBlock[];
  relayBest: number;
  allowedAncestryLen?: number;
  relayAncestry?: number[];
  maxDepth?: number;
  expect: { parent: string; depth: number; kind: ParentChoice["kind"] };
}

const cases: Case[] = [
  {
    name: "an empty segment builds on the included head",
    entries: [],
    relayBest: 10,
    expect: { parent: "I", depth: 0, kind: "included" },
  },
  {
    name: "a chain of built blocks in scope gives the deepest",
    entries: [b("A", "I", 1, 9), b("B", "A", 2, 10), b("C", "B", 3, 10)],
    relayBest: 10,
    expect: { parent: "C", depth: 3, kind: "segment" },
  },
  {
    name: "the search stops at a block whose relay parent is out of scope, descendants included",
    entries: [b("A", "I", 1, 8), b("B", "A", 2, 7), b("C", "B", 3, 10)],
    relayBest: 10,
    allowedAncestryLen: 2,
    expect: { parent: "A", depth: 1, kind: "segment" },
  },
  {
    name: "a relay parent above the relay best (a relay reorg) is out of scope",
    entries: [b("A", "I", 1, 11)],
    relayBest: 10,
    expect: { parent: "I", depth: 0, kind: "included" },
  },
  {
    name: "a relay parent on an abandoned relay fork is out of scope when the ancestry is given",
    entries: [{ ...b("A", "I", 1, 10), relayParentHash: h("relay-10-fork") }],
    relayBest: 10,
    relayAncestry: [10, 9, 8],
    expect: { parent: "I", depth: 0, kind: "included" },
  },
  {
    name: "pending blocks are potential parents even with relay parents out of scope",
    pending: ["P1", "P2"],
    entries: [b("P1", "I", 1, 1), b("P2", "P1", 2, 2)],
    relayBest: 10,
    expect: { parent: "P2", depth: 2, kind: "pending" },
  },
  {
    name: "a pending block the segment does not hold (another collator's) is still a parent",
    pending: ["P1"],
    entries: [],
    relayBest: 10,
    expect: { parent: "P1", depth: 1, kind: "pending" },
  },
  {
    name: "the search continues below the deepest pending block",
    pending: ["P1"],
    entries: [b("P1", "I", 1, 3), b("A", "P1", 2, 9), b("B", "A", 3, 10)],
    relayBest: 10,
    expect: { parent: "B", depth: 3, kind: "segment" },
  },
  {
    name: "a fork off the included head is ignored when a pending block exists, even if deeper",
    pending: ["P1"],
    entries: [b("P1", "I", 1, 9), b("X", "I", 1, 10), b("Y", "X", 2, 10), b("Z", "Y", 3, 10)],
    relayBest: 10,
    expect: { parent: "P1", depth: 1, kind: "pending" },
  },
  {
    name: "between forks the deeper branch wins",
    entries: [b("X", "I", 1, 10), b("Y", "I", 1, 10), b("Q", highName, 2, 10)],
    relayBest: 10,
    expect: { parent: "Q", depth: 2, kind: "segment" },
  },
  {
    name: "between forks of equal depth the lowest hash wins",
    entries: [b("X", "I", 1, 10), b("Y", "I", 1, 10)],
    relayBest: 10,
    expect: { parent: lowName, depth: 1, kind: "segment" },
  },
  {
    name: "the search depth is bounded by maxDepth",
    entries: [b("A", "I", 1, 10), b("B", "A", 2, 10), b("C", "B", 3, 10), b("D", "C", 4, 10)],
    relayBest: 10,
    maxDepth: 2,
    expect: { parent: "B", depth: 2, kind: "segment" },
  },
  {
    name: "sync backing (allowedAncestryLen 0): only a block built on the relay best qualifies",
    entries: [b("A", "I", 1, 9), b("X", "I", 1, 10)],
    relayBest: 10,
    allowedAncestryLen: 0,
    expect: { parent: "X", depth: 1, kind: "segment" },
  },
];

function input(c: Case): ParentSearchInput {
  const i: ParentSearchInput = {
    includedHash: h("I"),
    pendingHashes: (c.pending ?? []).map(h),
    entries: c.entries,
    relayBestNumber: c.relayBest,
    allowedAncestryLen: c.allowedAncestryLen ?? 2,
  };
  if (c.relayAncestry !== undefined) i.relayAncestry = c.relayAncestry.map(relay);
  if (c.maxDepth !== undefined) i.maxDepth = c.maxDepth;
  return i;
}

describe("selectParent", () => {
  for (const c of cases) {
    test(c.name, () => {
      const choice = selectParent(input(c));
      assert.deepEqual({ parent: nameOf(choice), depth: choice.depth, kind: choice.kind }, c.expect);
    });
  }

  test("the choice carries the segment entry of the parent", () => {
    const a = b("A", "I", 1, 10);
    const choice = selectParent({
      includedHash: h("I"),
      pendingHashes: [],
      entries: [a],
      relayBestNumber: 10,
      allowedAncestryLen: 2,
    });
    assert.equal(choice.entry, a);
  });

  test("the result does not depend on the order of the entries", () => {
    const entries = [b("X", "I", 1, 10), b("Y", "I", 1, 10), b("A", lowName, 2, 10), b("B", highName, 2, 10)];
    const base = { includedHash: h("I"), pendingHashes: [], relayBestNumber: 10, allowedAncestryLen: 2 };
    const forward = selectParent({ ...base, entries });
    const backward = selectParent({ ...base, entries: [...entries].reverse() });
    assert.deepEqual(forward.hash, backward.hash);
    assert.equal(forward.depth, 2);
  });
});

describe("shouldBuild", () => {
  const base = { includedHash: h("I"), relayBestNumber: 10, allowedAncestryLen: 2 };

  test("on the included head it builds without asking canBuildUpon", () => {
    let asked = 0;
    const d = shouldBuild({ ...base, pendingHashes: [], entries: [] }, () => {
      asked++;
      return false;
    });
    assert.deepEqual(
      { build: d.build, checked: d.checkedCanBuildUpon, asked },
      { build: true, checked: false, asked: 0 },
    );
  });

  test("on a segment block it asks canBuildUpon with the parent and the included head", () => {
    const seen: [string, string][] = [];
    for (const allowed of [true, false]) {
      const d = shouldBuild({ ...base, pendingHashes: [], entries: [b("A", "I", 1, 10)] }, (parent, included) => {
        seen.push([nameOf(parent), names.get(toHex(included))!]);
        return allowed;
      });
      assert.equal(d.build, allowed);
      assert.equal(d.checkedCanBuildUpon, true);
    }
    assert.deepEqual(seen, [
      ["A", "I"],
      ["A", "I"],
    ]);
  });

  test("on a pending block it asks canBuildUpon (only the included head is exempt)", () => {
    const d = shouldBuild({ ...base, pendingHashes: [h("P1")], entries: [] }, () => false);
    assert.deepEqual(
      { parent: nameOf(d.parent), build: d.build, checked: d.checkedCanBuildUpon },
      {
        parent: "P1",
        build: false,
        checked: true,
      },
    );
  });
});
