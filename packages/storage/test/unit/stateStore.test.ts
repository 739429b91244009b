import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  blake2_256,
  cryptoReady,
  encodeNode,
  MissingNodeError,
  StateOverlay,
  Trie,
  toHex,
  trieRoot,
} from "@parapipe/primitives";
import { Bucket, Database, DatabaseError, NodeCache, StateStore } from "../../src/index.js";

let dir: string;
let seq = 0;
const freshPath = () => join(dir, `db${seq++}`);

function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
  };
}

function genesisEntries(count: number, seed = 1): [Uint8Array, Uint8Array][] {
  const rand = prng(seed);
  const out: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < count; i++) {
    const key = new Uint8Array(48).map(() => Math.floor(rand(256)));
    key[0] = i % 2 === 0 ? 0x26 : 0xc2;
    out.push([key, new Uint8Array(40).map(() => Math.floor(rand(256)))]);
  }
  return out;
}

before(async () => {
  await cryptoReady();
  dir = await mkdtemp(join(tmpdir(), "parapipe-storage-state-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("StateStore", () => {
  test("the genesis state is persisted and readable from a warm cache, synchronously", async () => {
    const db = await Database.open(freshPath());
    const state = new StateStore(db);
    const entries = genesisEntries(300);
    const root = await state.initGenesis(entries);
    assert.deepEqual(root, trieRoot(entries));
    const trie = new Trie(state.nodeStore(), root);
    for (const [k, v] of entries) assert.deepEqual(trie.get(k), v);
    await db.close();
  });

  test("after reopening, a cold cache reads the same values and key pages through withState", async () => {
    const path = freshPath();
    const entries = genesisEntries(2000);
    const db = await Database.open(path);
    const root = await new StateStore(db).initGenesis(entries);
    await db.close();

    const reopened = await Database.open(path);
    const cold = new StateStore(reopened);
    assert.throws(() => new Trie(cold.nodeStore(), root).get(entries[0][0]), MissingNodeError);
    for (const [k, v] of entries.slice(0, 50)) assert.deepEqual(await cold.get(root, k), v);
    assert.equal(await cold.get(root, new Uint8Array(48)), undefined);
    const prefixed = entries
      .map(([k]) => k)
      .filter((k) => k[0] === 0xc2)
      .map(toHex)
      .sort();
    const page = await cold.keysPaged(root, new Uint8Array([0xc2]), 10);
    assert.deepEqual(page.map(toHex), prefixed.slice(0, 10));
    const next = await cold.keysPaged(root, new Uint8Array([0xc2]), 10, page[9]);
    assert.deepEqual(next.map(toHex), prefixed.slice(10, 20));
    await reopened.close();
  });

  test("withState reruns a synchronous function until the nodes it needs are loaded, then not again", async () => {
    const path = freshPath();
    const entries = genesisEntries(3000);
    const db = await Database.open(path);
    const root = await new StateStore(db).initGenesis(entries);
    await db.close();
    const reopened = await Database.open(path);
    const state = new StateStore(reopened);
    let runs = 0;
    const read = (store: Parameters<Parameters<StateStore["withState"]>[0]>[0]) => {
      runs++;
      const trie = new Trie(store, root);
      return entries.slice(0, 20).map(([k]) => trie.get(k));
    };
    const values = await state.withState(read);
    assert.deepEqual(
      values,
      entries.slice(0, 20).map(([, v]) => v),
    );
    assert.ok(runs > 1);
    runs = 0;
    await state.withState(read);
    assert.equal(runs, 1);
    await reopened.close();
  });

  test("a block executed on a cold cache is committed atomically and its state survives a restart", async () => {
    const path = freshPath();
    const entries = genesisEntries(500);
    let db = await Database.open(path);
    const genesisRoot = await new StateStore(db).initGenesis(entries);
    await db.close();

    db = await Database.open(path);
    const state = new StateStore(db);
    const newKey = new Uint8Array(48).fill(7);
    const { root, newNodes } = await state.withState((store) => {
      const overlay = new StateOverlay(new Trie(store, genesisRoot));
      const balance = overlay.get(entries[1][0])!;
      overlay.set(
        entries[1][0],
        balance.map((b) => b ^ 0xff),
      );
      overlay.delete(entries[2][0]);
      overlay.set(newKey, new Uint8Array([1, 2, 3]));
      return overlay.commit(store);
    });
    const blockHash = new Uint8Array(32).fill(0xbb);
    const batch = db.batch();
    state.writeNodes(batch, newNodes);
    batch.put(Bucket.header, blockHash, root);
    await batch.write();
    await db.close();

    db = await Database.open(path);
    const after = new StateStore(db);
    const storedRoot = await db.get(Bucket.header, blockHash);
    assert.deepEqual(storedRoot, root);
    assert.deepEqual(await after.get(root, newKey), new Uint8Array([1, 2, 3]));
    assert.equal(await after.get(root, entries[2][0]), undefined);
    assert.deepEqual(
      await after.get(root, entries[1][0]),
      entries[1][1].map((b) => b ^ 0xff),
    );
    // The parent state is still there.
    assert.deepEqual(await after.get(genesisRoot, entries[2][0]), entries[2][1]);
    await db.close();
  });

  test("warm loads the state into the cache so synchronous reads need no disk access", async () => {
    const path = freshPath();
    const entries = genesisEntries(1500);
    let db = await Database.open(path);
    const root = await new StateStore(db).initGenesis(entries);
    await db.close();
    db = await Database.open(path);
    const state = new StateStore(db);
    const loaded = await state.warm(root);
    assert.equal(loaded, state.cache.size);
    const trie = new Trie(state.nodeStore(), root);
    for (const [k, v] of entries) assert.deepEqual(trie.get(k), v);
    assert.equal(await state.warm(root), 0, "nothing left to load");
    await db.close();
  });

  test("withState does not retry other errors", async () => {
    const db = await Database.open(freshPath());
    const state = new StateStore(db);
    let runs = 0;
    await assert.rejects(
      state.withState(() => {
        runs++;
        throw new RangeError("boom");
      }),
      RangeError,
    );
    assert.equal(runs, 1);
    await db.close();
  });

  test("a stored node whose bytes do not hash to its key is DB_CORRUPT", async () => {
    const path = freshPath();
    const entries = genesisEntries(100);
    let db = await Database.open(path);
    const root = await new StateStore(db).initGenesis(entries);
    const tampered = encodeNode(new Uint8Array([1, 2]), new Uint8Array([9]), undefined);
    await db.batch().put(Bucket.stateNode, root, tampered).write();
    await db.close();
    db = await Database.open(path);
    await assert.rejects(new StateStore(db).get(root, entries[0][0]), (err: unknown) => {
      assert.ok(err instanceof DatabaseError);
      assert.equal(err.code, "DB_CORRUPT");
      assert.ok(err.message.includes(toHex(root)) && err.message.includes(path));
      return true;
    });
    await db.close();
  });

  test("a node missing from disk too is reported as MissingNodeError, not as an absent value", async () => {
    const db = await Database.open(freshPath());
    const state = new StateStore(db);
    const unknownRoot = blake2_256(new Uint8Array([1, 2, 3]));
    await assert.rejects(state.get(unknownRoot, new Uint8Array([1])), MissingNodeError);
    await db.close();
  });

  test("a cache smaller than the state still completes reads and stays within its bound", async () => {
    const path = freshPath();
    const entries = genesisEntries(2000);
    let db = await Database.open(path);
    const root = await new StateStore(db).initGenesis(entries);
    await db.close();
    db = await Database.open(path);
    const state = new StateStore(db, { cacheBytes: 16 * 1024 });
    const values = await state.withState((store) => {
      const trie = new Trie(store, root);
      return entries.map(([k]) => trie.get(k));
    });
    assert.deepEqual(
      values,
      entries.map(([, v]) => v),
    );
    assert.ok(state.cache.bytes <= 16 * 1024);
    await db.close();
  });
});

describe("NodeCache", () => {
  const node = (i: number) => new Uint8Array(100).fill(i);
  const hash = (i: number) => blake2_256(node(i));

  test("evicts the least recently used nodes beyond its byte bound", () => {
    const cache = new NodeCache(3 * (100 + 96));
    cache.set(hash(1), node(1));
    cache.set(hash(2), node(2));
    cache.set(hash(3), node(3));
    assert.deepEqual(cache.get(hash(1)), node(1)); // 1 is now the most recent
    cache.set(hash(4), node(4));
    assert.equal(cache.get(hash(2)), undefined);
    assert.deepEqual(cache.get(hash(1)), node(1));
    assert.deepEqual(cache.get(hash(3)), node(3));
    assert.deepEqual(cache.get(hash(4)), node(4));
    assert.equal(cache.size, 3);
    assert.equal(cache.bytes, 3 * (100 + 96));
  });

  test("finds nodes by content whatever array holds the hash", () => {
    const cache = new NodeCache(1 << 20);
    cache.set(hash(5), node(5));
    const copy = new Uint8Array(40);
    copy.set(hash(5), 8);
    assert.deepEqual(cache.get(copy.subarray(8, 40)), node(5));
    assert.equal(cache.has(hash(6)), false);
  });

  test("a node larger than the whole cache is not kept", () => {
    const cache = new NodeCache(50);
    cache.set(hash(1), node(1));
    assert.equal(cache.size, 0);
    assert.equal(cache.get(hash(1)), undefined);
  });
});
