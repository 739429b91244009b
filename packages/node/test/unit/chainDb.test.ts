import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { bytesEqual, cryptoReady, genesisFromStorage, toHex } from "@parapipe/primitives";
import { Bucket, Database, DatabaseError } from "@parapipe/storage";
import { ChainDb } from "../../src/chain/chainDb.js";
import { ChainDbError } from "../../src/errors.js";
import { eveFunded, hexes, importAll, openNode, paraWorld, produce, tempDirs } from "./helpers.js";

describe("ChainDb", () => {
  const tmp = tempDirs();
  before(cryptoReady);
  after(() => tmp.cleanup());

  it("initialises a new database at genesis, then reopens it where it left off", async () => {
    const world = paraWorld();
    const dir = await tmp.make();
    const node = await openNode(world, dir);
    const g = world.dbOptions().genesis;
    assert.equal(node.chain.opened, "initialised");
    assert.ok(bytesEqual(node.chain.best.hash, g.hash));
    assert.ok(bytesEqual(node.chain.finalized.hash, g.hash));
    assert.ok(bytesEqual((await node.chain.canonicalHash(0))!, g.hash));
    assert.ok(bytesEqual((await node.chain.header(g.hash))!, g.header));

    const blocks = produce(world.producer(), 100, 4);
    await importAll(node.importer, blocks);
    await node.importer.finalize(blocks[1]!.hash);
    // An unfinalized fork off the finalized block.
    const forkDev = world.producer();
    for (const b of blocks.slice(0, 2)) forkDev.importBuilt(b, 0);
    const fork = produce(forkDev, 300, 2);
    await importAll(node.importer, fork);
    const treeBefore = node.chain.tree
      .subtree(blocks[1]!.hash)
      .map((b) => toHex(b.hash))
      .sort();
    await node.close();

    const reopened = await openNode(world, dir);
    assert.equal(reopened.chain.opened, "resumed");
    assert.equal(toHex(reopened.chain.best.hash), toHex(blocks[3]!.hash));
    assert.equal(reopened.chain.best.number, 4);
    assert.equal(toHex(reopened.chain.finalized.hash), toHex(blocks[1]!.hash));
    // The unfinalized tree (both forks) is rebuilt from the stored leaves.
    assert.deepEqual(
      reopened.chain.tree
        .subtree(reopened.chain.finalized.hash)
        .map((b) => toHex(b.hash))
        .sort(),
      treeBefore,
    );
    assert.deepEqual(treeBefore, [...hexes(blocks.slice(1)), ...hexes(fork)].sort());
    for (const [i, b] of blocks.entries()) {
      assert.equal(toHex((await reopened.chain.canonicalHash(i + 1))!), toHex(b.hash));
      assert.ok(bytesEqual((await reopened.chain.block(b.hash))!, b.block));
    }
    // The state of the best block is readable on the reopened database (cold cache).
    const root = reopened.chain.best.stateRoot;
    const free = await reopened.chain.withState(
      (store) => world.rt.system.account(world.rt.stateAt(store, root), world.genesis.balances[0]![0]).free,
    );
    assert.ok(free > 0n);
    // Building continues on the resumed chain.
    const dev = world.producer();
    for (const b of blocks) dev.importBuilt(b, 0);
    const next = produce(dev, 104, 1);
    assert.equal((await reopened.importer.import(next[0]!.block, "network")).status, "imported");
    await reopened.close();
  });

  it("refuses the database of another chain with GENESIS_MISMATCH and leaves it untouched", async () => {
    const world = paraWorld();
    const dir = await tmp.make();
    const node = await openNode(world, dir);
    await importAll(node.importer, produce(world.producer(), 100, 2));
    const best = toHex(node.chain.best.hash);
    await node.close();

    const other = paraWorld(eveFunded);
    assert.notEqual(toHex(other.dbOptions().genesis.hash), toHex(world.dbOptions().genesis.hash));
    await assert.rejects(
      ChainDb.open(dir, other.dbOptions("other-chain"), { runtime: other.chainRuntime }),
      (err: unknown) =>
        err instanceof DatabaseError && err.code === "GENESIS_MISMATCH" && /parapipe-test/.test(err.message),
    );
    const again = await openNode(world, dir);
    assert.equal(again.chain.opened, "resumed");
    assert.equal(toHex(again.chain.best.hash), best);
    await again.close();
  });

  it("refuses a genesis header that does not match its storage", async () => {
    const world = paraWorld();
    const opts = world.dbOptions();
    const wrong = genesisFromStorage(paraWorld(eveFunded).chainRuntime.genesisStorage());
    const dir = await tmp.make();
    await assert.rejects(
      ChainDb.open(
        dir,
        { ...opts, genesis: { ...opts.genesis, header: wrong.header, hash: wrong.hash } },
        {
          runtime: world.chainRuntime,
        },
      ),
      (err: unknown) => err instanceof ChainDbError && err.code === "GENESIS_INVALID",
    );
  });

  it("reports a corrupt best pointer or header as DB_CORRUPT naming the entry", async () => {
    const world = paraWorld();
    const dir = await tmp.make();
    const node = await openNode(world, dir);
    const blocks = produce(world.producer(), 100, 2);
    await importAll(node.importer, blocks);
    await node.close();

    const raw = await Database.open(dir);
    const goodBest = (await raw.get(Bucket.meta, new TextEncoder().encode("best")))!.slice();
    await raw
      .batch()
      .put(Bucket.meta, new TextEncoder().encode("best"), new Uint8Array([1, 2, 3]))
      .write();
    await raw.close();
    await assert.rejects(
      ChainDb.open(dir, world.dbOptions(), { runtime: world.chainRuntime }),
      (err: unknown) =>
        err instanceof DatabaseError && err.code === "DB_CORRUPT" && /meta "best" is 3 bytes/.test(err.message),
    );

    const raw2 = await Database.open(dir);
    await raw2
      .batch()
      .put(Bucket.meta, new TextEncoder().encode("best"), goodBest)
      .put(Bucket.header, blocks[1]!.hash, new Uint8Array([9, 9, 9]))
      .write();
    await raw2.close();
    await assert.rejects(
      ChainDb.open(dir, world.dbOptions(), { runtime: world.chainRuntime }),
      (err: unknown) =>
        err instanceof DatabaseError &&
        err.code === "DB_CORRUPT" &&
        err.message.includes(`header ${toHex(blocks[1]!.hash)}`) &&
        /does not decode/.test(err.message),
    );
  });
});
