import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { blake2_256, cryptoReady, toHex } from "../../src/hashing.js";
import {
  applyChanges,
  EMPTY_TRIE_ROOT,
  generateProof,
  MemoryNodeStore,
  MissingNodeError,
  type NodeStore,
  RecordingNodeStore,
  readProof,
  Trie,
} from "../../src/trie/index.js";

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

function randomBytes(rand: (n: number) => number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = Math.floor(rand(256));
  return out;
}

interface Fixture {
  store: MemoryNodeStore;
  root: Uint8Array;
  entries: [Uint8Array, Uint8Array][];
  rand: (n: number) => number;
}

function fixture(seed: number, count: number): Fixture {
  const rand = prng(seed);
  const entries: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < count; i++) entries.push([randomBytes(rand, 48), randomBytes(rand, 80)]);
  const store = new MemoryNodeStore();
  const { root, newNodes } = applyChanges(store, EMPTY_TRIE_ROOT, entries);
  store.putNodes(newNodes);
  return { store, root, entries, rand };
}

/** A store without the node `hash`. */
function without(nodes: Uint8Array[], hash: Uint8Array): MemoryNodeStore {
  return MemoryNodeStore.fromNodes(nodes.filter((n) => toHex(blake2_256(n)) !== toHex(hash)));
}

/** The hashes of the nodes on the path of `key`, root first. */
function pathHashes(store: NodeStore, root: Uint8Array, key: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const spy: NodeStore = {
    get(hash) {
      out.push(hash);
      return store.get(hash);
    },
  };
  new Trie(spy, root).get(key);
  return out;
}

before(async () => {
  await cryptoReady();
});

describe("missing nodes", () => {
  test("a node the store lacks is a MissingNodeError carrying its hash, never 'no value'", () => {
    const { store, root, entries } = fixture(1, 300);
    const [key] = entries[5];
    const nodes = [...store.entries()].map(([, n]) => n);
    const path = pathHashes(store, root, key);
    assert.ok(path.length >= 2);
    for (const hash of path) {
      const partial = without(nodes, hash);
      assert.throws(
        () => new Trie(partial, root).get(key),
        (e: unknown) =>
          e instanceof MissingNodeError && e.code === "MISSING_TRIE_NODE" && toHex(e.type.hash) === toHex(hash),
      );
    }
  });

  test("a witness with one node dropped throws for a key under it, but proves absence where its path is covered", () => {
    const { store, root, entries, rand } = fixture(2, 500);
    const present = entries.slice(0, 20).map(([k]) => k);
    const absent = Array.from({ length: 20 }, () => randomBytes(rand, 48));
    const recorder = new RecordingNodeStore(store);
    const trie = new Trie(recorder, root);
    for (const k of [...present, ...absent]) trie.get(k);
    const witness = recorder.recorded();

    const victim = present[0];
    const leafHash = pathHashes(store, root, victim).at(-1)!;
    const partial = new Trie(without(witness, leafHash), root);
    assert.throws(() => partial.get(victim), MissingNodeError);
    // Keys whose whole path is still covered read normally, absent ones as undefined.
    const full = new Trie(store, root);
    let checked = 0;
    for (const k of [...absent, ...present.slice(1)]) {
      if (pathHashes(store, root, k).some((x) => toHex(x) === toHex(leafHash))) continue;
      assert.deepEqual(partial.get(k), full.get(k));
      checked++;
    }
    assert.ok(checked >= 30, `only ${checked} keys checked`);
    assert.ok(absent.every((k) => full.get(k) === undefined));
  });

  test("applyChanges on a store missing a needed node throws MissingNodeError", () => {
    const { store, root, entries } = fixture(3, 200);
    const [key] = entries[7];
    const nodes = [...store.entries()].map(([, n]) => n);
    const leafHash = pathHashes(store, root, key).at(-1)!;
    assert.throws(() => applyChanges(without(nodes, leafHash), root, [[key, new Uint8Array([1])]]), MissingNodeError);
    assert.throws(() => applyChanges(new MemoryNodeStore(), root, [[key, null]]), MissingNodeError);
  });
});

describe("witness recording", () => {
  test("the recorded nodes alone replay the same reads and the same applyChanges root", () => {
    const { store, root, entries, rand } = fixture(4, 2000);
    const reads = [
      ...entries.slice(0, 60).map(([k]) => k),
      ...Array.from({ length: 30 }, () => randomBytes(rand, 48)),
      entries[100][0].subarray(0, 47),
    ];
    const changes: [Uint8Array, Uint8Array | null][] = [
      ...entries.slice(200, 300).map(([k]) => [k, randomBytes(rand, 80)] as [Uint8Array, Uint8Array]),
      ...Array.from({ length: 50 }, () => [randomBytes(rand, 48), randomBytes(rand, 80)] as [Uint8Array, Uint8Array]),
      ...entries.slice(300, 350).map(([k]) => [k, null] as [Uint8Array, null]),
      [randomBytes(rand, 48), null],
      [new Uint8Array([...entries[400][0], 1, 2]), new Uint8Array(0)],
    ];

    const recorder = new RecordingNodeStore(store);
    const trie = new Trie(recorder, root);
    const expectedReads = reads.map((k) => trie.get(k));
    const expected = applyChanges(recorder, root, changes);
    const witness = recorder.recorded();
    assert.equal(new Set(witness.map((n) => toHex(blake2_256(n)))).size, witness.length, "deduplicated");
    assert.equal(
      recorder.recordedBytes,
      witness.reduce((s, n) => s + n.length, 0),
    );
    assert.ok(witness.length < store.size / 2, `witness of ${witness.length} nodes out of ${store.size}`);

    const replay = MemoryNodeStore.fromNodes(witness);
    const replayTrie = new Trie(replay, root);
    assert.deepEqual(
      reads.map((k) => replayTrie.get(k)),
      expectedReads,
    );
    const replayed = applyChanges(replay, root, changes);
    assert.equal(toHex(replayed.root), toHex(expected.root));
    assert.deepEqual([...replayed.newNodes.keys()].sort(), [...expected.newNodes.keys()].sort());
  });

  test("a deletion records the sibling it merges with, so the witness replays it", () => {
    const a = new Uint8Array([0x12, 0x34]);
    const b = new Uint8Array([0x12, 0x56]);
    const c = new Uint8Array([0x99]);
    const store = new MemoryNodeStore();
    const built = applyChanges(store, EMPTY_TRIE_ROOT, [
      [a, new Uint8Array([1])],
      [b, new Uint8Array([2])],
      [c, new Uint8Array([3])],
    ]);
    store.putNodes(built.newNodes);
    const recorder = new RecordingNodeStore(store);
    const expected = applyChanges(recorder, built.root, [[a, null]]);
    const siblingLeaf = pathHashes(store, built.root, b).at(-1)!;
    assert.ok(recorder.recorded().some((n) => toHex(blake2_256(n)) === toHex(siblingLeaf)));
    const replayed = applyChanges(MemoryNodeStore.fromNodes(recorder.recorded()), built.root, [[a, null]]);
    assert.deepEqual(replayed.root, expected.root);
  });

  test("applyChanges reads only the nodes on the changed paths", () => {
    const { store, root, entries } = fixture(5, 2000);
    const recorder = new RecordingNodeStore(store);
    applyChanges(recorder, root, [[entries[0][0], new Uint8Array([1])]]);
    const depth = pathHashes(store, root, entries[0][0]).length;
    assert.equal(recorder.recorded().length, depth);
  });
});

describe("storage proofs", () => {
  test("a proof shows present values and absent keys", () => {
    const { store, root, entries, rand } = fixture(6, 1000);
    const absentKey = randomBytes(rand, 48);
    const keys = [entries[1][0], entries[2][0], absentKey];
    const proof = generateProof(store, root, keys);
    assert.ok(proof.length > 0 && proof.length < 40);
    assert.deepEqual(readProof(root, proof, entries[1][0]), entries[1][1]);
    assert.deepEqual(readProof(root, proof, entries[2][0]), entries[2][1]);
    assert.equal(readProof(root, proof, absentKey), undefined);
  });

  test("reading a key the proof does not cover throws MissingNodeError", () => {
    const { store, root, entries } = fixture(7, 1000);
    const proof = generateProof(store, root, [entries[1][0]]);
    assert.throws(() => readProof(root, proof, entries[500][0]), MissingNodeError);
    assert.throws(() => readProof(root, [], entries[1][0]), MissingNodeError);
  });

  test("a tampered proof node is not accepted as part of the trie", () => {
    const { store, root, entries } = fixture(8, 100);
    const proof = generateProof(store, root, [entries[1][0]]);
    const leaf = proof.at(-1)!.slice();
    leaf[leaf.length - 1] ^= 1;
    assert.throws(() => readProof(root, [...proof.slice(0, -1), leaf], entries[1][0]), MissingNodeError);
  });

  test("the empty trie needs an empty proof", () => {
    assert.deepEqual(generateProof(new MemoryNodeStore(), EMPTY_TRIE_ROOT, [new Uint8Array([1])]), []);
    assert.equal(readProof(EMPTY_TRIE_ROOT, [], new Uint8Array([1])), undefined);
  });
});
