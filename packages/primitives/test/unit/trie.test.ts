import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { blake2_256, compareBytes, cryptoReady, fromHex, toHex } from "../../src/hashing.js";
import {
  applyChanges,
  CorruptTrieNodeError,
  decodeNode,
  EMPTY_TRIE_NODE,
  EMPTY_TRIE_ROOT,
  encodeNode,
  MemoryNodeStore,
  orderedTrieRoot,
  Trie,
  trieRoot,
} from "../../src/trie/index.js";

/** Deterministic PRNG (mulberry32) so failures reproduce. */
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

const nib = (...n: number[]) => new Uint8Array(n);
const h = (b: number) => new Uint8Array(32).fill(b);

/** Builds a full in-memory trie from entries, returning its store and root. */
function buildTrie(entries: Iterable<readonly [Uint8Array, Uint8Array]>): { store: MemoryNodeStore; root: Uint8Array } {
  const store = new MemoryNodeStore();
  const { root, newNodes } = applyChanges(store, EMPTY_TRIE_ROOT, entries);
  store.putNodes(newNodes);
  return { store, root };
}

before(async () => {
  await cryptoReady();
});

describe("trie node codec", () => {
  test("the empty trie root is blake2_256 of the single byte 0x00", () => {
    assert.deepEqual(EMPTY_TRIE_NODE, new Uint8Array([0]));
    assert.deepEqual(EMPTY_TRIE_ROOT, blake2_256(new Uint8Array([0])));
    assert.equal(decodeNode(EMPTY_TRIE_NODE), null);
  });

  test("a leaf round-trips with an odd partial key and an empty value", () => {
    const enc = encodeNode(nib(1, 2, 3), new Uint8Array(0), undefined);
    assert.deepEqual(enc, new Uint8Array([0x43, 0x12, 0x30, 0x00]));
    const node = decodeNode(enc)!;
    assert.deepEqual(node.partial, nib(1, 2, 3));
    assert.deepEqual(node.value, new Uint8Array(0));
    assert.equal(node.children, undefined);
  });

  test("a branch round-trips its bitmap, value and child hashes", () => {
    const children = new Array<Uint8Array | undefined>(16).fill(undefined);
    children[0] = h(0xaa);
    children[15] = h(0xbb);
    const enc = encodeNode(nib(), new Uint8Array([7]), children);
    assert.equal(enc[0], 0xc0);
    assert.deepEqual(enc.subarray(1, 3), new Uint8Array([0x01, 0x80]));
    assert.equal(enc.length, 1 + 2 + 2 + 64);
    const node = decodeNode(enc)!;
    assert.deepEqual(node.value, new Uint8Array([7]));
    assert.deepEqual(node.children![0], h(0xaa));
    assert.deepEqual(node.children![15], h(0xbb));
    assert.equal(node.children!.filter((c) => c !== undefined).length, 2);
  });

  test("a partial key of 63 nibbles or more uses the compact length extension", () => {
    for (const n of [62, 63, 64, 160, 301]) {
      const partial = new Uint8Array(n).map((_, i) => i % 16);
      const enc = encodeNode(partial, new Uint8Array([1, 2]), undefined);
      assert.equal(enc[0] & 63, Math.min(n, 63));
      assert.deepEqual(decodeNode(enc)!.partial, partial);
    }
  });

  test("malformed node bytes throw CorruptTrieNodeError, never a RangeError", () => {
    const leaf = encodeNode(nib(1, 2), new Uint8Array([5, 6, 7]), undefined);
    const children = new Array<Uint8Array | undefined>(16).fill(undefined);
    children[1] = h(1);
    children[2] = h(2);
    const branch = encodeNode(nib(), undefined, children);
    const cases: [string, Uint8Array][] = [
      ["empty input", new Uint8Array(0)],
      ["unknown header", new Uint8Array([0x05])],
      ["empty node with trailing bytes", new Uint8Array([0, 0])],
      ["truncated leaf value", leaf.subarray(0, leaf.length - 1)],
      ["trailing byte", new Uint8Array([...leaf, 0])],
      ["non-zero padding nibble", new Uint8Array([0x41, 0x1f, 0x00])],
      ["non-canonical compact length", new Uint8Array([0x40, 0x01, 0x00])],
      ["truncated child hash", branch.subarray(0, branch.length - 1)],
      ["branch with one child and no value", encodeNode(nib(), undefined, [h(1)])],
      ["huge nibble count", new Uint8Array([0x7f, 0x03, 0xff, 0xff, 0xff, 0xff])],
      ["huge value length", new Uint8Array([0x40, 0x03, 0xff, 0xff, 0xff, 0xff])],
    ];
    for (const [name, bytes] of cases) {
      assert.throws(() => decodeNode(bytes, h(9)), CorruptTrieNodeError, name);
    }
  });

  test("random bytes either decode or throw CorruptTrieNodeError", () => {
    const rand = prng(7);
    for (let i = 0; i < 20_000; i++) {
      const bytes = randomBytes(rand, Math.floor(rand(80)));
      if (i % 3 === 0 && bytes.length > 0) bytes[0] = 0x40 | (bytes[0] & 0xbf);
      try {
        decodeNode(bytes);
      } catch (err) {
        assert.ok(err instanceof CorruptTrieNodeError, `unexpected ${String(err)} for ${toHex(bytes)}`);
      }
    }
  });

  test("a corrupt node reached through the store throws CorruptTrieNodeError with its hash", () => {
    const store = new MemoryNodeStore();
    const root = h(3);
    store.put(root, new Uint8Array([0x80, 0x01]));
    assert.throws(
      () => new Trie(store, root).get(new Uint8Array([1])),
      (e: unknown) => e instanceof CorruptTrieNodeError && toHex(e.type.hash!) === toHex(root),
    );
  });
});

describe("trie reads", () => {
  test("the empty trie has no values and no entries", () => {
    const trie = new Trie(new MemoryNodeStore(), EMPTY_TRIE_ROOT);
    assert.equal(trie.get(new Uint8Array([1, 2])), undefined);
    assert.deepEqual([...trie.entries()], []);
    assert.equal(trieRoot([]).length, 32);
    assert.deepEqual(trieRoot([]), EMPTY_TRIE_ROOT);
  });

  test("an empty value is a value, distinct from an absent key", () => {
    const { store, root } = buildTrie([
      [fromHex("0x0102"), new Uint8Array(0)],
      [fromHex("0x0103"), new Uint8Array([1])],
    ]);
    const trie = new Trie(store, root);
    assert.deepEqual(trie.get(fromHex("0x0102")), new Uint8Array(0));
    assert.equal(trie.get(fromHex("0x0104")), undefined);
    assert.notDeepEqual(trieRoot([[fromHex("0x0102"), new Uint8Array(0)]]), EMPTY_TRIE_ROOT);
  });

  test("keys that are prefixes of other keys keep their own values", () => {
    const entries: [Uint8Array, Uint8Array][] = [
      [fromHex("0x"), fromHex("0xee")],
      [fromHex("0x01"), fromHex("0x01")],
      [fromHex("0x0102"), fromHex("0x02")],
      [fromHex("0x010203"), fromHex("0x03")],
      [fromHex("0x0110"), fromHex("0x04")],
      [fromHex("0xff"), fromHex("0x05")],
    ];
    const { store, root } = buildTrie(entries);
    const trie = new Trie(store, root);
    for (const [k, v] of entries) assert.deepEqual(trie.get(k), v, toHex(k));
    assert.equal(trie.get(fromHex("0x0101")), undefined);
    assert.equal(trie.get(fromHex("0x01020304")), undefined);
    assert.deepEqual(
      [...trie.entries()].map(([k]) => toHex(k)),
      ["0x", "0x01", "0x0102", "0x010203", "0x0110", "0xff"],
    );
  });

  test("entries walk keys in order, filtered by prefix and strictly after startAfter", () => {
    const rand = prng(11);
    const map = new Map<string, Uint8Array>();
    const prefixes = [fromHex("0xaaaa"), fromHex("0xaabb"), fromHex("0x10")];
    for (let i = 0; i < 600; i++) {
      const p = prefixes[Math.floor(rand(3))];
      const k = new Uint8Array([...p, ...randomBytes(rand, 1 + Math.floor(rand(3)))]);
      map.set(toHex(k), randomBytes(rand, 4));
    }
    const sorted = [...map.keys()].sort((a, b) => compareBytes(fromHex(a), fromHex(b)));
    const { store, root } = buildTrie([...map].map(([k, v]) => [fromHex(k), v] as const));
    const trie = new Trie(store, root);
    assert.deepEqual(
      [...trie.entries()].map(([k]) => toHex(k)),
      sorted,
    );
    const aa = sorted.filter((k) => k.startsWith("0xaa"));
    assert.deepEqual(
      [...trie.entries(fromHex("0xaa"))].map(([k]) => toHex(k)),
      aa,
    );
    const start = aa[17];
    assert.deepEqual(
      [...trie.entries(fromHex("0xaa"), fromHex(start))].map(([k]) => toHex(k)),
      aa.slice(18),
    );
    // startAfter need not be a stored key, nor start with the prefix.
    assert.deepEqual(trie.keysPaged(fromHex("0xaa"), 1000, fromHex("0x00")).map(toHex), aa);
    assert.deepEqual(trie.keysPaged(fromHex("0xaa"), 1000, fromHex("0xab")), []);
    assert.deepEqual(
      trie.keysPaged(fromHex("0xaabb"), 1000, fromHex("0xaabb")).map(toHex),
      sorted.filter((k) => k.startsWith("0xaabb")),
    );
    for (const [k, v] of trie.entries(fromHex("0x10"))) assert.deepEqual(v, map.get(toHex(k)));
  });

  test("keysPaged pages through every key exactly once", () => {
    const rand = prng(12);
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 500; i++) entries.push([randomBytes(rand, 32 + Math.floor(rand(16))), randomBytes(rand, 8)]);
    const { store, root } = buildTrie(entries);
    const trie = new Trie(store, root);
    const all: string[] = [];
    let last: Uint8Array | undefined;
    for (;;) {
      const page = trie.keysPaged(new Uint8Array(0), 37, last);
      if (page.length === 0) break;
      all.push(...page.map(toHex));
      last = page[page.length - 1];
    }
    const expected = entries
      .map(([k]) => k)
      .sort(compareBytes)
      .map(toHex);
    assert.deepEqual(all, expected);
  });
});

describe("applyChanges", () => {
  test("the root depends only on the final key/value set (random inserts and deletes vs a reference map)", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rand = prng(seed);
      const reference = new Map<string, Uint8Array>();
      const keyPool: Uint8Array[] = [];
      // Short keys and shared prefixes force splits, prefix-keys and merges.
      for (let i = 0; i < 300; i++) {
        const len = seed % 2 === 0 ? 1 + Math.floor(rand(4)) : 32 + Math.floor(rand(48));
        const k = randomBytes(rand, len);
        if (rand(2) < 1) k[0] = 0x26;
        keyPool.push(k);
      }
      let store = new MemoryNodeStore();
      let root = EMPTY_TRIE_ROOT;
      for (let round = 0; round < 30; round++) {
        const changes: [Uint8Array, Uint8Array | null][] = [];
        const n = 1 + Math.floor(rand(60));
        for (let i = 0; i < n; i++) {
          const k = keyPool[Math.floor(rand(keyPool.length))];
          const del = rand(3) < 1;
          const v = del ? null : randomBytes(rand, Math.floor(rand(40)));
          changes.push([k, v]);
          if (v === null) reference.delete(toHex(k));
          else reference.set(toHex(k), v);
        }
        const result = applyChanges(store, root, changes);
        store.putNodes(result.newNodes);
        root = result.root;
        const fresh = trieRoot([...reference].map(([k, v]) => [fromHex(k), v] as const));
        assert.equal(toHex(root), toHex(fresh), `seed ${seed} round ${round}`);
        const trie = new Trie(store, root);
        for (const k of keyPool) assert.deepEqual(trie.get(k), reference.get(toHex(k)));
        if (round === 15) store = MemoryNodeStore.fromNodes([...store.entries()].map(([, node]) => node));
      }
      // Deleting everything gives back the empty trie.
      const result = applyChanges(
        store,
        root,
        [...reference.keys()].map((k) => [fromHex(k), null] as const),
      );
      assert.deepEqual(result.root, EMPTY_TRIE_ROOT);
    }
  });

  test("the same set inserted in a different order and batching gives the same root", () => {
    const rand = prng(21);
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 400; i++) entries.push([randomBytes(rand, 48), randomBytes(rand, 80)]);
    const once = trieRoot(entries);
    const store = new MemoryNodeStore();
    let root = EMPTY_TRIE_ROOT;
    const shuffled = entries.slice().reverse();
    for (let i = 0; i < shuffled.length; i += 13) {
      const r = applyChanges(store, root, shuffled.slice(i, i + 13));
      store.putNodes(r.newNodes);
      root = r.root;
    }
    assert.deepEqual(root, once);
  });

  test("new nodes are keyed by the 0x hex of their blake2-256 hash and cover the new trie", () => {
    const rand = prng(22);
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 50; i++) entries.push([randomBytes(rand, 40), randomBytes(rand, 10)]);
    const { root, newNodes } = applyChanges(new MemoryNodeStore(), EMPTY_TRIE_ROOT, entries);
    for (const [hex, node] of newNodes) assert.equal(hex, toHex(blake2_256(node)));
    assert.ok(newNodes.has(toHex(root)));
    const trie = new Trie(MemoryNodeStore.fromNodes(newNodes.values()), root);
    for (const [k, v] of entries) assert.deepEqual(trie.get(k), v);
  });

  test("changes that change nothing keep the root and create no nodes", () => {
    const rand = prng(23);
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 100; i++) entries.push([randomBytes(rand, 40), randomBytes(rand, 10)]);
    const { store, root } = buildTrie(entries);
    const noop: [Uint8Array, Uint8Array | null][] = [
      [entries[3][0], entries[3][1]],
      [randomBytes(rand, 40), null],
      [entries[3][0].subarray(0, 20), null],
    ];
    const result = applyChanges(store, root, noop);
    assert.deepEqual(result.root, root);
    assert.equal(result.newNodes.size, 0);
  });

  test("for a repeated key the last change wins", () => {
    const k = fromHex("0x0102");
    const root = trieRoot([
      [k, fromHex("0x01")],
      [k, fromHex("0x02")],
    ]);
    assert.deepEqual(root, trieRoot([[k, fromHex("0x02")]]));
    const { root: r2 } = applyChanges(new MemoryNodeStore(), EMPTY_TRIE_ROOT, [
      [k, fromHex("0x01")],
      [k, null],
    ]);
    assert.deepEqual(r2, EMPTY_TRIE_ROOT);
  });

  test("deleting one of two keys under a branch merges the branch into the remaining leaf", () => {
    const a = fromHex("0x1234");
    const b = fromHex("0x1256");
    const { store, root } = buildTrie([
      [a, fromHex("0xaa")],
      [b, fromHex("0xbb")],
    ]);
    const { root: after, newNodes } = applyChanges(store, root, [[a, null]]);
    assert.deepEqual(after, trieRoot([[b, fromHex("0xbb")]]));
    // The merged trie is a single leaf holding the whole key.
    assert.equal(newNodes.size, 1);
    const leaf = decodeNode(newNodes.get(toHex(after))!)!;
    assert.equal(leaf.children, undefined);
    assert.deepEqual(leaf.partial, nib(1, 2, 5, 6));
  });
});

/**
 * An independent, deliberately naive reference of the documented layout: nibble arrays as plain number[],
 * nodes encoded by hand from the codec description, nothing shared with src/ but blake2.
 */
function referenceRoot(entries: [Uint8Array, Uint8Array][]): Uint8Array {
  const items = entries.map(([k, v]) => ({ nib: [...k].flatMap((b) => [b >> 4, b & 15]), v }));
  const compactLen = (n: number): number[] =>
    n < 64 ? [n << 2] : n < 1 << 14 ? [((n << 2) | 1) & 255, (n << 2) >> 8] : assert.fail("long value in reference");
  const header = (kind: number, partial: number[]): number[] => {
    const packed: number[] = [];
    for (let i = 0; i < partial.length; i += 2) packed.push((partial[i] << 4) | (partial[i + 1] ?? 0));
    const ext = partial.length >= 63 ? compactLen(partial.length - 63) : [];
    return [kind | Math.min(partial.length, 63), ...ext, ...packed];
  };
  const node = (list: typeof items, depth: number): Uint8Array => {
    if (list.length === 1) {
      const partial = list[0].nib.slice(depth);
      return blake2_256(new Uint8Array([...header(0x40, partial), ...compactLen(list[0].v.length), ...list[0].v]));
    }
    let common = depth;
    while (list.every((x) => x.nib.length > common && x.nib[common] === list[0].nib[common])) common++;
    const own = list.find((x) => x.nib.length === common);
    const hashes: number[] = [];
    let bitmap = 0;
    for (let n = 0; n < 16; n++) {
      const sub = list.filter((x) => x.nib.length > common && x.nib[common] === n);
      if (sub.length === 0) continue;
      bitmap |= 1 << n;
      hashes.push(...node(sub, common + 1));
    }
    const value = own === undefined ? [] : [...compactLen(own.v.length), ...own.v];
    const kind = own === undefined ? 0x80 : 0xc0;
    const bytes = [...header(kind, list[0].nib.slice(depth, common)), bitmap & 255, bitmap >> 8, ...value, ...hashes];
    return blake2_256(new Uint8Array(bytes));
  };
  return entries.length === 0 ? blake2_256(new Uint8Array([0])) : node(items, 0);
}

describe("trie layout", () => {
  test("roots match an independent reference encoding of the documented layout", () => {
    const rand = prng(31);
    for (const size of [1, 2, 3, 17, 200]) {
      const map = new Map<string, [Uint8Array, Uint8Array]>();
      while (map.size < size) {
        const k = randomBytes(rand, 1 + Math.floor(rand(size > 100 ? 40 : 3)));
        if (rand(2) < 1 && k.length > 1) k[0] = 0x55;
        map.set(toHex(k), [k, randomBytes(rand, Math.floor(rand(70)))]);
      }
      const entries = [...map.values()];
      assert.equal(toHex(trieRoot(entries)), toHex(referenceRoot(entries)), `size ${size}`);
    }
  });
});

describe("ordered trie root", () => {
  test("keys are the SCALE compact encodings of the indices", () => {
    const values = Array.from({ length: 70 }, (_, i) => new Uint8Array([i, i]));
    const compact = (i: number) =>
      i < 64 ? new Uint8Array([i << 2]) : new Uint8Array([((i << 2) | 1) & 0xff, ((i << 2) | 1) >> 8]);
    const expected = trieRoot(values.map((v, i) => [compact(i), v] as const));
    assert.deepEqual(orderedTrieRoot(values), expected);
    assert.deepEqual(compact(64), fromHex("0x0101"));
    assert.deepEqual(orderedTrieRoot([]), EMPTY_TRIE_ROOT);
  });

  test("large indices use the four-byte compact mode", () => {
    const values = Array.from({ length: 16_385 }, (_, i) => new Uint8Array([i & 0xff]));
    const last = new Uint8Array([0x02, 0x00, 0x01, 0x00]); // compact(16384) = (16384 << 2) | 2, LE
    const entries = values.map((v, i) => {
      if (i === 16_384) return [last, v] as const;
      const c = i < 64 ? new Uint8Array([i << 2]) : new Uint8Array([((i << 2) | 1) & 0xff, ((i << 2) | 1) >> 8]);
      return [c, v] as const;
    });
    assert.deepEqual(orderedTrieRoot(values), trieRoot(entries));
  });
});
