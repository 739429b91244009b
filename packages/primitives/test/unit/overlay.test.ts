import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { cryptoReady, fromHex, toHex } from "../../src/hashing.js";
import {
  applyChanges,
  EMPTY_TRIE_ROOT,
  MemoryNodeStore,
  type NodeStore,
  RecordingNodeStore,
  StateOverlay,
  StateOverlayError,
  Trie,
  trieRoot,
} from "../../src/trie/index.js";

const k = fromHex;
const v = (...bytes: number[]) => new Uint8Array(bytes);

function baseState(entries: [Uint8Array, Uint8Array][]): { store: MemoryNodeStore; trie: Trie } {
  const store = new MemoryNodeStore();
  const { root, newNodes } = applyChanges(store, EMPTY_TRIE_ROOT, entries);
  store.putNodes(newNodes);
  return { store, trie: new Trie(store, root) };
}

/** Counts reads that reach the node store. */
class CountingStore implements NodeStore {
  reads = 0;
  constructor(private readonly inner: NodeStore) {}
  get(hash: Uint8Array): Uint8Array | undefined {
    this.reads++;
    return this.inner.get(hash);
  }
}

before(async () => {
  await cryptoReady();
});

describe("StateOverlay reads and writes", () => {
  test("reads see overlay writes first, then the trie; a deleted key reads undefined", () => {
    const { trie } = baseState([
      [k("0x0101"), v(1)],
      [k("0x0102"), v(2)],
    ]);
    const overlay = new StateOverlay(trie);
    assert.deepEqual(overlay.get(k("0x0101")), v(1));
    overlay.set(k("0x0101"), v(9));
    overlay.delete(k("0x0102"));
    overlay.set(k("0x0103"), new Uint8Array(0));
    assert.deepEqual(overlay.get(k("0x0101")), v(9));
    assert.equal(overlay.get(k("0x0102")), undefined);
    assert.equal(overlay.has(k("0x0102")), false);
    assert.deepEqual(overlay.get(k("0x0103")), new Uint8Array(0));
    assert.equal(overlay.has(k("0x0103")), true);
    assert.equal(overlay.get(k("0x0104")), undefined);
  });

  test("an overlay hit does not touch the trie, and a trie value is read from the store once", () => {
    const { store, trie } = baseState([
      [k("0x0101"), v(1)],
      [k("0x0202"), v(2)],
    ]);
    const counting = new CountingStore(store);
    const overlay = new StateOverlay(new Trie(counting, trie.root));
    overlay.set(k("0x0303"), v(3));
    overlay.get(k("0x0303"));
    assert.equal(counting.reads, 0);
    overlay.get(k("0x0101"));
    const afterFirst = counting.reads;
    assert.ok(afterFirst > 0);
    overlay.get(k("0x0101"));
    overlay.get(k("0x0101"));
    assert.equal(counting.reads, afterFirst);
  });

  test("keys are compared by content, not by array identity", () => {
    const overlay = new StateOverlay(new Trie(new MemoryNodeStore(), EMPTY_TRIE_ROOT));
    overlay.set(k("0xabcd"), v(1));
    assert.deepEqual(overlay.get(new Uint8Array([0xab, 0xcd])), v(1));
    overlay.set(new Uint8Array([0xab, 0xcd]), v(2));
    assert.equal(overlay.changes().length, 1);
  });
});

describe("StateOverlay transactions", () => {
  test("a rolled-back transaction discards its writes and keeps those made before it", () => {
    const { trie } = baseState([[k("0xaa"), v(1)]]);
    const overlay = new StateOverlay(trie);
    overlay.set(k("0xfee0"), v(10)); // the fee charge, outside the call's layer
    overlay.startTransaction();
    assert.equal(overlay.transactionDepth, 1);
    overlay.set(k("0xaa"), v(2));
    overlay.set(k("0xfee0"), v(11));
    overlay.set(k("0xbb"), v(3));
    overlay.delete(k("0xaa"));
    overlay.rollbackTransaction();
    assert.equal(overlay.transactionDepth, 0);
    assert.deepEqual(overlay.get(k("0xaa")), v(1));
    assert.deepEqual(overlay.get(k("0xfee0")), v(10));
    assert.equal(overlay.get(k("0xbb")), undefined);
    assert.deepEqual(
      overlay.changes().map(([key, value]) => [toHex(key), value && toHex(value)]),
      [["0xfee0", "0x0a"]],
    );
  });

  test("nested transactions: committing the inner and rolling back the outer discards both", () => {
    const overlay = new StateOverlay(new Trie(new MemoryNodeStore(), EMPTY_TRIE_ROOT));
    overlay.set(k("0x01"), v(1));
    overlay.startTransaction();
    overlay.set(k("0x01"), v(2));
    overlay.startTransaction();
    assert.equal(overlay.transactionDepth, 2);
    overlay.set(k("0x01"), v(3));
    overlay.set(k("0x02"), v(3));
    overlay.commitTransaction();
    assert.deepEqual(overlay.get(k("0x01")), v(3));
    overlay.rollbackTransaction();
    assert.deepEqual(overlay.get(k("0x01")), v(1));
    assert.equal(overlay.get(k("0x02")), undefined);
  });

  test("nested transactions: rolling back the inner keeps the outer's writes", () => {
    const overlay = new StateOverlay(new Trie(new MemoryNodeStore(), EMPTY_TRIE_ROOT));
    overlay.startTransaction();
    overlay.set(k("0x01"), v(1));
    overlay.startTransaction();
    overlay.set(k("0x01"), v(2));
    overlay.delete(k("0x01"));
    overlay.rollbackTransaction();
    overlay.commitTransaction();
    assert.deepEqual(overlay.get(k("0x01")), v(1));
    assert.deepEqual(overlay.changes(), [[k("0x01"), v(1)]]);
  });

  test("changes() refuses while a transaction is open; unbalanced commits and rollbacks throw", () => {
    const overlay = new StateOverlay(new Trie(new MemoryNodeStore(), EMPTY_TRIE_ROOT));
    overlay.startTransaction();
    assert.throws(
      () => overlay.changes(),
      (e: unknown) => e instanceof StateOverlayError && e.code === "TRANSACTION_OPEN",
    );
    overlay.commitTransaction();
    assert.throws(
      () => overlay.commitTransaction(),
      (e: unknown) => e instanceof StateOverlayError && e.code === "NO_OPEN_TRANSACTION",
    );
    assert.throws(() => overlay.rollbackTransaction(), StateOverlayError);
  });
});

describe("StateOverlay views and commit", () => {
  test("keysWithPrefix merges trie and overlay keys in key order, without deleted keys", () => {
    const { trie } = baseState([
      [k("0xaa01"), v(1)],
      [k("0xaa03"), v(1)],
      [k("0xaa05"), v(1)],
      [k("0xbb01"), v(1)],
    ]);
    const overlay = new StateOverlay(trie);
    overlay.set(k("0xaa02"), v(2));
    overlay.set(k("0xaa03"), v(2));
    overlay.delete(k("0xaa05"));
    overlay.set(k("0xaa06"), v(2));
    overlay.set(k("0xaa"), v(2));
    overlay.set(k("0xbb02"), v(2));
    overlay.delete(k("0xaa07"));
    assert.deepEqual(overlay.keysWithPrefix(k("0xaa")).map(toHex), ["0xaa", "0xaa01", "0xaa02", "0xaa03", "0xaa06"]);
    assert.deepEqual(overlay.keysWithPrefix(k("0x")).length, 7);
  });

  test("changes() are sorted by key and commit() gives the root of the resulting set", () => {
    const { store, trie } = baseState([
      [k("0x10"), v(1)],
      [k("0x20"), v(2)],
      [k("0x30"), v(3)],
    ]);
    const overlay = new StateOverlay(trie);
    overlay.set(k("0x40"), v(4));
    overlay.delete(k("0x20"));
    overlay.set(k("0x05"), v(0));
    overlay.set(k("0x10"), v(11));
    assert.deepEqual(
      overlay.changes().map(([key]) => toHex(key)),
      ["0x05", "0x10", "0x20", "0x40"],
    );
    const { root, newNodes } = overlay.commit(store);
    assert.deepEqual(
      root,
      trieRoot([
        [k("0x05"), v(0)],
        [k("0x10"), v(11)],
        [k("0x30"), v(3)],
        [k("0x40"), v(4)],
      ]),
    );
    store.putNodes(newNodes);
    assert.deepEqual(new Trie(store, root).get(k("0x10")), v(11));
  });

  test("a block executed on a recording store replays from its witness to the same root", () => {
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 1000; i++) entries.push([new Uint8Array([i >> 8, i & 255, 7, 7]), v(i & 255)]);
    const { store, trie } = baseState(entries);
    const execute = (s: NodeStore) => {
      const overlay = new StateOverlay(new Trie(s, trie.root));
      for (let i = 0; i < 50; i++) {
        const key = new Uint8Array([0, i * 3, 7, 7]);
        const balance = overlay.get(key)?.[0] ?? 0;
        overlay.startTransaction();
        overlay.set(key, v(balance + 1));
        if (i % 5 === 0) overlay.rollbackTransaction();
        else overlay.commitTransaction();
      }
      overlay.delete(new Uint8Array([1, 1, 7, 7]));
      return overlay.commit(s).root;
    };
    const recorder = new RecordingNodeStore(store);
    const expected = execute(recorder);
    assert.deepEqual(execute(MemoryNodeStore.fromNodes(recorder.recorded())), expected);
  });
});
