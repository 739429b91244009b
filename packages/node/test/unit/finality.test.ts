import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cryptoReady, toHex } from "@parapipe/primitives";
import { Bucket } from "@parapipe/storage";
import { FinalityError } from "../../src/errors.js";
import { type FinalityConflict, FinalityTracker } from "../../src/finality/finalityTracker.js";
import { decodeJustification } from "../../src/finality/justification.js";
import {
  hexes,
  importAll,
  openNode,
  type ParaWorld,
  paraWorld,
  produce,
  recordEvents,
  ref,
  tempDirs,
  verifier,
  vote,
} from "./helpers.js";

describe("FinalityTracker (GRANDPA-lite, 4 voters)", () => {
  const tmp = tempDirs();
  before(cryptoReady);
  after(() => tmp.cleanup());

  async function setup(world: ParaWorld, dir?: string) {
    const node = await openNode(world, dir ?? (await tmp.make()));
    const tracker = new FinalityTracker({ voterCount: 4 }, { chain: node.chain, importer: node.importer, verifier });
    const events = recordEvents(node.importer);
    return {
      ...node,
      tracker,
      events,
      async close() {
        await tracker.close();
        await node.close();
      },
    };
  }

  it("finalizes the highest block with votes from 3 of 4 voters, with its ancestors; 2 votes do not", async () => {
    const world = paraWorld();
    const n = await setup(world);
    const a = produce(world.producer(), 100, 4);
    await importAll(n.importer, a);
    assert.equal(n.tracker.threshold, 3);

    assert.deepEqual(await n.tracker.noteVote(vote(0, ref(a[2]!))), { status: "counted" });
    assert.deepEqual(await n.tracker.noteVote(vote(1, ref(a[2]!))), { status: "counted" });
    assert.equal(n.chain.finalized.number, 0);
    // A vote for #4 counts for #3 as well: #3 has 3 voters, #4 only 1.
    const outcome = await n.tracker.noteVote(vote(2, ref(a[3]!)));
    assert.deepEqual(outcome, { status: "finalized", hash: a[2]!.hash, number: 3 });
    assert.equal(toHex(n.chain.finalized.hash), toHex(a[2]!.hash));
    assert.deepEqual(n.events.finalized, [
      { hash: toHex(a[2]!.hash), number: 3, finalized: hexes(a.slice(0, 3)), pruned: [] },
    ]);
    // The justification holds the three supporting votes, and they verify.
    const j = decodeJustification((await n.chain.justification(a[2]!.hash))!);
    assert.equal(toHex(j.hash), toHex(a[2]!.hash));
    assert.deepEqual(
      j.votes.map((v) => v.voter),
      [0, 1, 2],
    );
    assert.ok(j.votes.every((v) => verifier.verify(v)));
    // Finality never moves backwards: votes for final blocks are stale.
    assert.deepEqual(await n.tracker.noteVote(vote(3, ref(a[1]!))), { status: "stale" });
    await n.close();
  });

  it("needs strictly more than 2n/3 voters: with 3 voters, 2 votes are not enough", async () => {
    const world = paraWorld();
    const node = await openNode(world, await tmp.make());
    const tracker = new FinalityTracker({ voterCount: 3 }, { chain: node.chain, importer: node.importer, verifier });
    const a = produce(world.producer(), 100, 1);
    await importAll(node.importer, a);
    assert.equal(tracker.threshold, 3);
    await tracker.noteVote(vote(0, ref(a[0]!)));
    assert.deepEqual(await tracker.noteVote(vote(2, ref(a[0]!))), { status: "counted" });
    assert.equal(node.chain.finalized.number, 0);
    assert.equal((await tracker.noteVote(vote(1, ref(a[0]!)))).status, "finalized");
    await tracker.close();
    await node.close();
  });

  it("counts one vote per voter: a newer vote replaces the older, a repeated one is a duplicate", async () => {
    const world = paraWorld();
    const n = await setup(world);
    const a = produce(world.producer(), 100, 2);
    const b = produce(world.producer(), 200, 2);
    await importAll(n.importer, a);
    await importAll(n.importer, b);

    await n.tracker.noteVote(vote(0, ref(a[1]!)));
    assert.deepEqual(await n.tracker.noteVote(vote(0, ref(a[1]!))), { status: "duplicate" });
    // Voter 0 switches to fork b: its vote no longer counts for a.
    await n.tracker.noteVote(vote(0, ref(b[1]!)));
    await n.tracker.noteVote(vote(1, ref(a[1]!)));
    assert.deepEqual(await n.tracker.noteVote(vote(2, ref(a[1]!))), { status: "counted" });
    assert.equal(n.chain.finalized.number, 0);
    const out = await n.tracker.noteVote(vote(3, ref(a[1]!)));
    assert.deepEqual(out, { status: "finalized", hash: a[1]!.hash, number: 2 });
    assert.deepEqual(
      decodeJustification((await n.chain.justification(a[1]!.hash))!).votes.map((v) => v.voter),
      [1, 2, 3],
    );
    await n.close();
  });

  it("keeps votes for a block not imported yet and finalizes it when it arrives", async () => {
    const world = paraWorld();
    const n = await setup(world);
    const a = produce(world.producer(), 100, 3);
    await importAll(n.importer, a.slice(0, 2));
    for (const v of [0, 1, 3]) assert.deepEqual(await n.tracker.noteVote(vote(v, ref(a[2]!))), { status: "pending" });
    assert.equal(n.chain.finalized.number, 0);
    await importAll(n.importer, a.slice(2));
    await n.tracker.idle();
    await n.importer.idle();
    assert.equal(toHex(n.chain.finalized.hash), toHex(a[2]!.hash));
    assert.deepEqual(n.events.finalized.at(-1)!.finalized, hexes(a));
    await n.close();
  });

  it("stores the justification with the finalized block so it survives a reopen", async () => {
    const world = paraWorld();
    const dir = await tmp.make();
    const n = await setup(world, dir);
    const a = produce(world.producer(), 100, 2);
    await importAll(n.importer, a);
    for (const v of [0, 1, 2]) await n.tracker.noteVote(vote(v, ref(a[1]!)));
    await n.close();

    const again = await setup(world, dir);
    assert.equal(toHex(again.chain.finalized.hash), toHex(a[1]!.hash));
    const j = decodeJustification((await again.chain.justification(a[1]!.hash))!);
    assert.equal(j.number, 2);
    assert.deepEqual(
      j.votes.map((v) => [v.voter, toHex(v.hash)]),
      [0, 1, 2].map((v) => [v, toHex(a[1]!.hash)]),
    );
    await again.close();
  });

  it("prunes forks that do not descend from the finalized block, then ignores and reports votes for them", async () => {
    const world = paraWorld();
    const n = await setup(world);
    const conflicts: FinalityConflict[] = [];
    n.tracker.onConflict((c) => conflicts.push(c));
    const a = produce(world.producer(), 100, 3);
    const b = produce(world.producer(), 200, 2);
    await importAll(n.importer, a);
    await importAll(n.importer, b);
    for (const v of [0, 1, 2]) await n.tracker.noteVote(vote(v, ref(a[1]!)));
    assert.equal(toHex(n.chain.finalized.hash), toHex(a[1]!.hash));
    assert.deepEqual(n.events.finalized.at(-1)!.pruned.sort(), hexes(b).sort());
    for (const blk of b) {
      assert.equal(await n.chain.header(blk.hash), undefined);
      assert.equal(await n.chain.block(blk.hash), undefined);
      assert.equal(n.chain.tree.has(blk.hash), false);
    }
    assert.deepEqual(
      n.chain.tree.leaves().map((x) => toHex(x.hash)),
      [toHex(a[2]!.hash)],
    );
    // State nodes are kept: the pruned fork's state root is still readable.
    assert.ok((await n.chain.db.get(Bucket.stateNode, b[1]!.stateRoot)) !== undefined);

    // A supermajority for the pruned fork does not move finality; it is reported once.
    for (const v of [0, 1, 3]) {
      const out = await n.tracker.noteVote(vote(v, ref(b[1]!)));
      assert.deepEqual(out, { status: "conflicting", finalizedNumber: 2 });
    }
    assert.equal(toHex(n.chain.finalized.hash), toHex(a[1]!.hash));
    assert.equal(conflicts.length, 1);
    assert.deepEqual(conflicts[0]!.voters, [0, 1, 3]);
    assert.equal(toHex(conflicts[0]!.hash), toHex(b[1]!.hash));
    await n.close();
  });

  it("finalizing a block off the best chain moves best onto its branch first (finality stays canonical)", async () => {
    const world = paraWorld();
    const n = await setup(world);
    const a = produce(world.producer(), 100, 3);
    const b = produce(world.producer(), 200, 2);
    await importAll(n.importer, a);
    await importAll(n.importer, b);
    assert.equal(toHex(n.chain.best.hash), toHex(a[2]!.hash));
    for (const v of [1, 2, 3]) await n.tracker.noteVote(vote(v, ref(b[1]!)));
    assert.equal(toHex(n.chain.finalized.hash), toHex(b[1]!.hash));
    assert.equal(toHex(n.chain.best.hash), toHex(b[1]!.hash));
    const reorg = n.events.newBest.at(-1)!;
    assert.deepEqual(reorg.retracted, hexes(a).reverse());
    assert.deepEqual(reorg.enacted, hexes(b));
    for (const [i, blk] of b.entries()) assert.equal(toHex((await n.chain.canonicalHash(i + 1))!), toHex(blk.hash));
    assert.equal(await n.chain.canonicalHash(3), undefined);
    assert.equal(await n.chain.header(a[0]!.hash), undefined);
    await n.close();
  });

  it("rejects votes from outside the voter set, with bad signatures or a wrong block number", async () => {
    const world = paraWorld();
    const n = await setup(world);
    const a = produce(world.producer(), 100, 1);
    await importAll(n.importer, a);
    const code = (c: string) => (err: unknown) => err instanceof FinalityError && err.code === c;
    await assert.rejects(n.tracker.noteVote({ ...vote(0, ref(a[0]!)), voter: 4 }), code("UNKNOWN_VOTER"));
    await assert.rejects(n.tracker.noteVote({ ...vote(0, ref(a[0]!)), voter: 1 }), code("BAD_SIGNATURE"));
    await assert.rejects(n.tracker.noteVote(vote(0, { hash: a[0]!.hash, number: 2 })), code("VOTE_NUMBER_MISMATCH"));
    assert.equal(n.tracker.currentVotes().length, 0);
    await n.close();
  });
});
