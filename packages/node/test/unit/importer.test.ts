import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { bytesEqual, cryptoReady, toHex } from "@parapipe/primitives";
import { Bucket } from "@parapipe/storage";
import type { ForkChoice } from "../../src/chain/forkChoice.js";
import { ForkChoiceError, ImportError } from "../../src/errors.js";
import type { ChainRuntime } from "../../src/interface.js";
import {
  hexes,
  importAll,
  openNode,
  paraWorld,
  produce,
  recordEvents,
  tempDirs,
  withTamperedStateRoot,
} from "./helpers.js";

async function countKeys(db: { keys(b: Bucket): AsyncIterable<Uint8Array> }, bucket: Bucket): Promise<number> {
  let n = 0;
  for await (const _ of db.keys(bucket)) n++;
  return n;
}

describe("BlockImporter", () => {
  const tmp = tempDirs();
  before(cryptoReady);
  after(() => tmp.cleanup());

  it("imports a chain of blocks: best advances, the canonical index follows, events fire in order", async () => {
    const world = paraWorld();
    const node = await openNode(world, await tmp.make());
    const events = recordEvents(node.importer);
    const blocks = produce(world.producer(), 100, 4);
    for (const [i, b] of blocks.entries()) {
      const r = await node.importer.import(b.block, "network");
      assert.deepEqual(r, { status: "imported", hash: b.hash, number: i + 1, isNewBest: true });
      assert.equal(toHex(node.chain.best.hash), toHex(b.hash));
    }
    for (const [i, b] of blocks.entries()) assert.equal(toHex((await node.chain.canonicalHash(i + 1))!), toHex(b.hash));
    assert.equal(await node.chain.canonicalHash(5), undefined);
    assert.deepEqual(events.imported, hexes(blocks));
    assert.deepEqual(
      events.newBest.map((e) => [e.number, e.retracted.length, e.enacted]),
      blocks.map((b, i) => [i + 1, 0, [toHex(b.hash)]]),
    );
    // The stored state is the block's: the runtime reads it back through the node's store.
    assert.ok(bytesEqual(node.chain.best.stateRoot, blocks[3]!.stateRoot));
    assert.equal((await node.importer.import(blocks[1]!.block, "network")).status, "known");
    await node.close();
  });

  it("reorgs to a fork that becomes longer, reporting retracted and enacted blocks and rewriting the index", async () => {
    const world = paraWorld();
    const node = await openNode(world, await tmp.make());
    const events = recordEvents(node.importer);
    const a = produce(world.producer(), 100, 3);
    const b = produce(world.producer(), 200, 4);
    await importAll(node.importer, a);
    // Equal height: the block seen first stays best.
    for (const blk of b.slice(0, 3)) {
      const r = await node.importer.import(blk.block, "network");
      assert.equal(r.status === "imported" && r.isNewBest, false);
    }
    assert.equal(toHex(node.chain.best.hash), toHex(a[2]!.hash));
    assert.equal(events.newBest.length, 3);

    const r = await node.importer.import(b[3]!.block, "network");
    assert.deepEqual(r, { status: "imported", hash: b[3]!.hash, number: 4, isNewBest: true });
    const reorg = events.newBest.at(-1)!;
    assert.deepEqual(reorg.retracted, hexes(a).reverse());
    assert.deepEqual(reorg.enacted, hexes(b));
    for (const [i, blk] of b.entries()) assert.equal(toHex((await node.chain.canonicalHash(i + 1))!), toHex(blk.hash));
    // Both forks stay stored (nothing is final yet) and are leaves of the tree.
    assert.deepEqual(
      node.chain.tree
        .leaves()
        .map((x) => toHex(x.hash))
        .sort(),
      [toHex(a[2]!.hash), toHex(b[3]!.hash)].sort(),
    );
    await node.close();
  });

  it("reports an unknown parent without writing anything", async () => {
    const world = paraWorld();
    const node = await openNode(world, await tmp.make());
    const blocks = produce(world.producer(), 100, 2);
    const r = await node.importer.import(blocks[1]!.block, "network");
    assert.deepEqual(r, { status: "unknownParent", hash: blocks[1]!.hash, number: 2, parentHash: blocks[0]!.hash });
    assert.equal(await node.chain.header(blocks[1]!.hash), undefined);
    await importAll(node.importer, blocks);
    assert.equal(node.chain.best.number, 2);
    await node.close();
  });

  it("refuses a block with a tampered state root with the runtime's error, and writes nothing", async () => {
    const world = paraWorld();
    const node = await openNode(world, await tmp.make());
    const events = recordEvents(node.importer);
    const dev = world.producer();
    const [b1] = produce(dev, 100, 1);
    await importAll(node.importer, [b1!]);
    const nodesBefore = await countKeys(node.chain.db, Bucket.stateNode);
    const headersBefore = await countKeys(node.chain.db, Bucket.header);
    const [b2] = produce(dev, 101, 1);
    const tampered = withTamperedStateRoot(dev, b2!);
    const r = await node.importer.import(tampered, "network");
    assert.equal(r.status, "invalid");
    assert.equal(r.status === "invalid" && r.error.code, "STATE_ROOT_MISMATCH");
    assert.equal(await countKeys(node.chain.db, Bucket.stateNode), nodesBefore);
    assert.equal(await countKeys(node.chain.db, Bucket.header), headersBefore);
    assert.equal(toHex(node.chain.best.hash), toHex(b1!.hash));
    assert.equal(node.chain.tree.size, 2);
    assert.equal(events.imported.length, 1);
    // The genuine block still imports.
    assert.equal((await node.importer.import(b2!.block, "network")).status, "imported");
    // Garbage bytes are refused before anything else.
    const garbage = await node.importer.import(new Uint8Array([1, 2, 3]), "network");
    assert.equal(garbage.status === "invalid" && garbage.error.code, "UNDECODABLE_BLOCK");
    await node.close();
  });

  it("executes a block imported twice concurrently once", async () => {
    const world = paraWorld();
    let executions = 0;
    const counting: ChainRuntime = {
      ...world.chainRuntime,
      executeBlock(store, block, parent) {
        executions++;
        return world.chainRuntime.executeBlock(store, block, parent);
      },
    };
    const node = await openNode(world, await tmp.make(), { runtime: counting });
    const events = recordEvents(node.importer);
    const [b1] = produce(world.producer(), 100, 1);
    const results = await Promise.all([
      node.importer.import(b1!.block, "network"),
      node.importer.import(b1!.block, "sync"),
      node.importer.import(b1!.block, "network"),
    ]);
    assert.ok(results.every((r) => r.status === "imported"));
    assert.equal(events.imported.length, 1);
    // The genesis state is in the node cache (written by this process), so withState runs the call once.
    assert.equal(executions, 1);
    assert.equal((await node.importer.import(b1!.block, "network")).status, "known");
    assert.equal(executions, 1);
    await node.close();
  });

  it("stores an own block with the builder's results without executing it again", async () => {
    const world = paraWorld();
    let executions = 0;
    const counting: ChainRuntime = {
      ...world.chainRuntime,
      executeBlock(store, block, parent) {
        executions++;
        return world.chainRuntime.executeBlock(store, block, parent);
      },
    };
    const node = await openNode(world, await tmp.make(), { runtime: counting });
    const [b1] = produce(world.producer(), 100, 1);
    const r = await node.importer.import(b1!.block, "own", {
      executed: { header: b1!.header.toU8a(), hash: b1!.hash, stateRoot: b1!.stateRoot, newNodes: b1!.newNodes },
    });
    assert.equal(r.status, "imported");
    assert.equal(executions, 0);
    await node.close();
  });

  it("never moves best below the finalized block and refuses forks below it", async () => {
    const world = paraWorld();
    const node = await openNode(world, await tmp.make());
    const a = produce(world.producer(), 100, 3);
    const b = produce(world.producer(), 200, 4);
    await importAll(node.importer, a);
    await importAll(node.importer, b.slice(0, 1));
    await node.importer.finalize(a[1]!.hash);
    // b1 was pruned: importing it again forks below finality.
    const r = await node.importer.import(b[0]!.block, "network");
    assert.ok(r.status === "invalid" && r.error instanceof ImportError && r.error.code === "BELOW_FINALIZED");
    const r2 = await node.importer.import(b[3]!.block, "network");
    assert.equal(r2.status, "unknownParent");
    await assert.rejects(
      node.importer.setBest(a[0]!.hash),
      (err: unknown) => err instanceof ForkChoiceError && err.code === "NOT_DESCENDANT_OF_FINALIZED",
    );
    await assert.rejects(
      node.importer.setBest(b[0]!.hash),
      (err: unknown) => err instanceof ForkChoiceError && err.code === "UNKNOWN_BLOCK",
    );
    assert.equal(toHex(node.chain.best.hash), toHex(a[2]!.hash));
    await node.close();
  });

  it("takes a pluggable fork choice: a rule pinned to one fork keeps it best, setBest moves it explicitly", async () => {
    const world = paraWorld();
    // A stand-in for the parachain rule: the deepest known descendant of a "pending head" set from outside.
    let pendingHead: Uint8Array | undefined;
    const deepestUnderPending: ForkChoice = {
      chooseBest(_candidates, ctx) {
        if (pendingHead === undefined) return undefined;
        const under = ctx.tree.subtree(pendingHead);
        return under.reduce((x, y) => (y.number > x.number ? y : x), under[0]!);
      },
    };
    const node = await openNode(world, await tmp.make(), { forkChoice: deepestUnderPending });
    const events = recordEvents(node.importer);
    const a = produce(world.producer(), 100, 2);
    const b = produce(world.producer(), 200, 3);
    await importAll(node.importer, a.slice(0, 1));
    pendingHead = a[0]!.hash;
    assert.equal((await node.importer.reconsiderBest())?.number, 1);
    await importAll(node.importer, b);
    // Fork b is longer, but the rule follows the pending head's branch.
    assert.equal(toHex(node.chain.best.hash), toHex(a[0]!.hash));
    await importAll(node.importer, a.slice(1));
    assert.equal(toHex(node.chain.best.hash), toHex(a[1]!.hash));
    // The pending head moves to fork b: reconsidering reorgs there.
    pendingHead = b[0]!.hash;
    const e = await node.importer.reconsiderBest();
    assert.equal(toHex(e!.hash), toHex(b[2]!.hash));
    assert.deepEqual(events.newBest.at(-1)!.retracted, hexes(a).reverse());
    // And setBest moves best anywhere above finality, the canonical index with it (a shorter chain too).
    await node.importer.setBest(a[0]!.hash);
    assert.equal(toHex((await node.chain.canonicalHash(1))!), toHex(a[0]!.hash));
    assert.equal(await node.chain.canonicalHash(2), undefined);
    await node.close();
  });
});
