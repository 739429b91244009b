import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { blake2_256, toHex } from "@parapipe/primitives";
import { Bucket, Database } from "@parapipe/storage";
import { type SegmentEntry, SegmentError, UnincludedSegmentStore } from "../../src/index.js";

let root: string;
let seq = 0;
const open: Database[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "parapipe-collator-segment-"));
});

after(async () => {
  for (const db of open) await db.close();
  await rm(root, { recursive: true, force: true });
});

async function freshDb(): Promise<{ path: string; db: Database }> {
  const path = join(root, `db${seq++}`);
  const db = await Database.open(path);
  open.push(db);
  return { path, db };
}

async function reopen(path: string, db: Database): Promise<{ db: Database; store: UnincludedSegmentStore }> {
  // A crash: the handle goes away without any further write.
  await db.close();
  const again = await Database.open(path);
  open.push(again);
  return { db: again, store: await UnincludedSegmentStore.open(again) };
}

const GENESIS = blake2_256(new TextEncoder().encode("genesis"));
const relayHash = (n: number) => blake2_256(new TextEncoder().encode(`relay-${n}`));

/** A block with a synthetic header whose hash is blake2-256 of it, as for real headers. */
function block(number: number, parent: Uint8Array, relayParentNumber: number, fork = ""): SegmentEntry {
  const header = new TextEncoder().encode(`header #${number} on ${toHex(parent)} rp ${relayParentNumber} ${fork}`);
  return {
    hash: blake2_256(header),
    number,
    parentHash: parent,
    header,
    relayParentNumber,
    relayParentHash: relayHash(relayParentNumber),
    status: "built",
  };
}

/** A chain of `n` blocks on `parent` starting at number `from`, relay parents `rp0, rp0+1, ...`. */
function chain(parent: Uint8Array, from: number, n: number, rp0: number): SegmentEntry[] {
  const out: SegmentEntry[] = [];
  for (let i = 0; i < n; i++) {
    const b = block(from + i, out.at(-1)?.hash ?? parent, rp0 + i);
    out.push(b);
  }
  return out;
}

const hashes = (entries: readonly SegmentEntry[]) => entries.map((e) => toHex(e.hash));

function isSegmentError(code: string, mentions: string[] = []) {
  return (err: unknown) => {
    assert.ok(err instanceof SegmentError, `expected a SegmentError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.ok(!err.message.includes("\n"), "one-line message");
    for (const m of mentions) assert.ok(err.message.includes(m), `"${err.message}" lacks "${m}"`);
    return true;
  };
}

describe("UnincludedSegmentStore persistence", () => {
  test("blocks and their statuses, candidate hash and PoV survive a crash and reopen", async () => {
    const { path, db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    const [a, b, c] = chain(GENESIS, 1, 3, 10);
    for (const e of [a!, b!, c!]) assert.equal(await store.add(e), true);
    const candidateHash = blake2_256(new Uint8Array([1]));
    const pov = new Uint8Array(1000).map((_, i) => i & 0xff);
    await store.setStatus(a!.hash, "advertised", { candidateHash, pov });
    await store.setStatus(a!.hash, "backed");
    await store.setStatus(b!.hash, "seconded");

    const { store: reloaded } = await reopen(path, db);
    assert.deepEqual(reloaded.entries(), store.entries());
    const ra = reloaded.get(a!.hash)!;
    assert.equal(ra.status, "backed");
    assert.deepEqual(ra.candidateHash, candidateHash);
    assert.deepEqual(ra.pov, pov);
    assert.equal(reloaded.get(b!.hash)!.status, "seconded");
    assert.equal(reloaded.get(c!.hash)!.status, "built");
    assert.deepEqual(hashes(reloaded.entries()), hashes([a!, b!, c!]));
  });

  test("an empty database opens as an empty segment", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    assert.equal(store.size, 0);
    assert.deepEqual(store.entries(), []);
  });

  test("setStatus of a block the segment does not hold is UNKNOWN_BLOCK", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    const stranger = block(1, GENESIS, 1);
    await assert.rejects(
      store.setStatus(stranger.hash, "backed"),
      isSegmentError("UNKNOWN_BLOCK", [toHex(stranger.hash)]),
    );
  });

  test("an entry whose hash is not blake2-256 of its header is refused with INVALID_ENTRY", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    const bad = { ...block(1, GENESIS, 1), hash: blake2_256(new Uint8Array([9])) };
    await assert.rejects(store.add(bad), isSegmentError("INVALID_ENTRY", ["blake2-256"]));
    assert.equal(store.size, 0);
  });
});

describe("UnincludedSegmentStore equivocation", () => {
  test("a second different block for the same number is refused and not written", async () => {
    const { path, db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    const first = block(1, GENESIS, 10);
    const other = block(1, GENESIS, 11, "other");
    await store.add(first);
    await assert.rejects(
      store.add(other),
      isSegmentError("EQUIVOCATION", [toHex(first.hash), toHex(other.hash), "#1"]),
    );
    // Adding the very same block again (a retry after a failed announce) is harmless.
    assert.equal(await store.add(first), false);
    const { store: reloaded } = await reopen(path, db);
    assert.deepEqual(hashes(reloaded.entries()), hashes([first]));
  });

  test("two concurrent adds for one number: exactly one is stored", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    const results = await Promise.allSettled([
      store.add(block(1, GENESIS, 10, "x")),
      store.add(block(1, GENESIS, 10, "y")),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected"],
    );
    assert.equal(store.size, 1);
  });

  test("after a block is dropped, a block for its number can be built again", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    await store.add(block(1, GENESIS, 10));
    await store.dropStale({ minRelayParentNumber: 11 });
    assert.equal(await store.add(block(1, GENESIS, 12)), true);
  });
});

describe("UnincludedSegmentStore pruning on inclusion", () => {
  test("the included block and its ancestors are pruned, its descendants stay, on disk too", async () => {
    const { path, db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    const blocks = chain(GENESIS, 1, 4, 10);
    for (const e of blocks) await store.add(e);
    const result = await store.onIncluded(blocks[1]!.hash);
    assert.deepEqual(hashes(result.included), hashes(blocks.slice(0, 2)));
    assert.deepEqual(result.orphaned, []);
    assert.deepEqual(hashes(store.entries()), hashes(blocks.slice(2)));
    const { store: reloaded } = await reopen(path, db);
    assert.deepEqual(hashes(reloaded.entries()), hashes(blocks.slice(2)));
  });

  test("a fork that lost to the included block is removed with its descendants", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    // Another collator's #1 is included: ours (and our #2 on it) can never be.
    const [a, b] = chain(GENESIS, 1, 2, 10);
    await store.add(a!);
    await store.add(b!);
    const theirs = blake2_256(new TextEncoder().encode("their #1"));
    const result = await store.onIncluded(theirs, 1);
    assert.deepEqual(result.included, []);
    assert.deepEqual(hashes(result.orphaned), hashes([a!, b!]));
    assert.equal(store.size, 0);
  });

  test("an unknown included hash without a number prunes nothing", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    const blocks = chain(GENESIS, 1, 2, 10);
    for (const e of blocks) await store.add(e);
    const result = await store.onIncluded(blake2_256(new Uint8Array([7])));
    assert.deepEqual(result, { included: [], orphaned: [] });
    assert.equal(store.size, 2);
  });
});

describe("UnincludedSegmentStore dropping stale blocks", () => {
  test("a block whose relay parent left the allowed ancestry is dropped with its descendants", async () => {
    const { path, db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    // #1 rp 10 (pending availability: on chain, its relay parent no longer matters), #2 rp 11, #3 rp 13.
    const a = block(1, GENESIS, 10);
    const b = block(2, a.hash, 11);
    const c = block(3, b.hash, 13);
    for (const e of [a, b, c]) await store.add(e);
    await store.setStatus(a.hash, "pendingAvailability");
    const dropped = await store.dropStale({ minRelayParentNumber: 12 });
    assert.deepEqual(
      dropped.map((d) => [toHex(d.entry.hash), d.reason]),
      [
        [toHex(b.hash), "relayParentOutOfScope"],
        [toHex(c.hash), "descendant"],
      ],
    );
    assert.deepEqual(hashes(store.entries()), hashes([a]));
    const { store: reloaded } = await reopen(path, db);
    assert.deepEqual(hashes(reloaded.entries()), hashes([a]));
  });

  test("a timed-out candidate (named by candidate hash or block hash) is dropped with its descendants", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    const [a, b, c] = chain(GENESIS, 1, 3, 20);
    for (const e of [a!, b!, c!]) await store.add(e);
    const candidateHash = blake2_256(new Uint8Array([42]));
    await store.setStatus(b!.hash, "pendingAvailability", { candidateHash });
    const dropped = await store.dropStale({ minRelayParentNumber: 0, timedOut: [candidateHash] });
    assert.deepEqual(
      dropped.map((d) => d.reason),
      ["timedOut", "descendant"],
    );
    assert.deepEqual(hashes(dropped.map((d) => d.entry)), hashes([b!, c!]));
    assert.deepEqual(hashes(store.entries()), hashes([a!]));
    const again = await store.dropStale({ minRelayParentNumber: 0, timedOut: [a!.hash] });
    assert.deepEqual(hashes(again.map((d) => d.entry)), hashes([a!]));
    assert.equal(store.size, 0);
  });

  test("nothing in scope and nothing timed out drops nothing", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    for (const e of chain(GENESIS, 1, 3, 20)) await store.add(e);
    assert.deepEqual(await store.dropStale({ minRelayParentNumber: 20, timedOut: [] }), []);
    assert.equal(store.size, 3);
  });
});

describe("UnincludedSegmentStore corrupt entries", () => {
  const cases: [string, (good: Uint8Array) => Uint8Array, string][] = [
    ["bytes that are not JSON", () => new Uint8Array([0xff, 0x00, 0x12]), "not UTF-8 JSON"],
    [
      "a header that does not hash to the stored hash",
      (good) => {
        const o = JSON.parse(new TextDecoder().decode(good));
        o.header = "0x00";
        return new TextEncoder().encode(JSON.stringify(o));
      },
      "blake2-256",
    ],
    [
      "an unknown status",
      (good) => {
        const o = JSON.parse(new TextDecoder().decode(good));
        o.status = "finalized";
        return new TextEncoder().encode(JSON.stringify(o));
      },
      "unknown status",
    ],
    [
      "a missing field",
      (good) => {
        const o = JSON.parse(new TextDecoder().decode(good));
        delete o.relayParentNumber;
        return new TextEncoder().encode(JSON.stringify(o));
      },
      "relayParentNumber",
    ],
  ];
  for (const [what, corrupt, reason] of cases) {
    test(`opening a segment with ${what} fails with CORRUPT_ENTRY naming the entry`, async () => {
      const { path, db } = await freshDb();
      const store = await UnincludedSegmentStore.open(db);
      const [a, b] = chain(GENESIS, 1, 2, 10);
      await store.add(a!);
      await store.add(b!);
      const good = (await db.get(Bucket.paraSegment, b!.hash))!;
      await db.batch().put(Bucket.paraSegment, b!.hash, corrupt(good)).write();
      await db.close();
      const again = await Database.open(path);
      open.push(again);
      await assert.rejects(
        UnincludedSegmentStore.open(again),
        isSegmentError("CORRUPT_ENTRY", [toHex(b!.hash), reason]),
      );
    });
  }

  test("an entry stored under another block's key is CORRUPT_ENTRY", async () => {
    const { db } = await freshDb();
    const store = await UnincludedSegmentStore.open(db);
    const a = block(1, GENESIS, 10);
    await store.add(a);
    const wrongKey = blake2_256(new Uint8Array([3]));
    await db
      .batch()
      .put(Bucket.paraSegment, wrongKey, (await db.get(Bucket.paraSegment, a.hash))!)
      .write();
    await assert.rejects(UnincludedSegmentStore.open(db), isSegmentError("CORRUPT_ENTRY", [toHex(wrongKey)]));
  });
});
